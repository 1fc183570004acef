"""The project's container images, built here with buildah from its own Dockerfiles.

No registry is reachable, so the Python base image the Dockerfiles take as
``PYTHON_IMAGE`` is made locally: Debian bookworm by debootstrap (``--variant=minbase``
plus python3, python3-venv and ca-certificates), committed as
``localhost/satfeed-base:bookworm``. Images are tagged exactly as ``make images`` tags
them for kind (``satfeed-<name>:<appVersion>``, i.e. ``docker.io/library/...``), so the
charts' default values find them on the node as they would on kind.

Storage is buildah's vfs driver in the cache (no overlay-on-overlay, no daemon), builds
run with chroot isolation, and the host's CA bundle is mounted for the build only (this
network inspects TLS) and never copied into an image. An image is rebuilt only when the
files it is built from change (their hash is kept in a label).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import yaml

from .toolchain import REPO_ROOT, SetupError, cache_dir, node_tools, require_tool

BASE_IMAGE = "localhost/satfeed-base:bookworm"
BASE_PACKAGES = ("python3", "python3-venv", "ca-certificates")
DEBIAN_MIRROR = "http://deb.debian.org/debian"
DOCKERFILES = {
    "producer": "services/producer/Dockerfile",
    "frontend": "services/frontend/Dockerfile",
    "operator": "operator/Dockerfile",
}
# What the images are built from (the rest of the context is excluded by .dockerignore).
SOURCES = ("pyproject.toml", "uv.lock", ".dockerignore", "packages", "services", "operator")
SOURCE_LABEL = "io.satfeed.source-hash"
CA_BUNDLE_MOUNT = "/etc/ssl/certs:/etc/ssl/certs:ro"


@dataclass(frozen=True)
class BuiltImage:
    name: str
    reference: str
    seconds: float
    """Build time of this call; 0 when the cached image was still current."""


def storage_dir() -> Path:
    return cache_dir() / "containers"


def buildah(*args: str, timeout: float = 1800) -> str:
    require_tool("buildah", "apt-get install buildah")
    argv = [
        "buildah",
        "--storage-driver=vfs",
        f"--root={storage_dir() / 'storage'}",
        f"--runroot={storage_dir() / 'run'}",
        *args,
    ]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-30:])
        raise SetupError(f"buildah {args[0]} failed (exit {proc.returncode}):\n{tail}")
    return proc.stdout


def image_label(reference: str, label: str) -> str | None:
    try:
        info = json.loads(buildah("inspect", "--type=image", reference))
    except SetupError:
        return None
    labels = info.get("OCIv1", {}).get("config", {}).get("Labels") or {}
    value = labels.get(label)
    return str(value) if value is not None else None


def image_exists(reference: str) -> bool:
    try:
        buildah("inspect", "--type=image", reference)
    except SetupError:
        return False
    return True


def app_version() -> str:
    chart = yaml.safe_load((REPO_ROOT / "charts" / "satfeed-operator" / "Chart.yaml").read_text())
    return str(chart["appVersion"])


def reference(name: str) -> str:
    """The name kind would know the image by (``satfeed-<name>:<appVersion>``)."""
    return f"docker.io/library/satfeed-{name}:{app_version()}"


def base_image() -> BuiltImage:
    """The local Python base image, made once per machine."""
    if image_exists(BASE_IMAGE):
        return BuiltImage("base", BASE_IMAGE, 0.0)
    require_tool("debootstrap", "apt-get install debootstrap")
    started = time.monotonic()
    with tempfile.TemporaryDirectory(dir=storage_dir().parent) as tmp:
        rootfs = Path(tmp) / "rootfs"
        proc = subprocess.run(
            [
                "debootstrap",
                "--variant=minbase",
                f"--include={','.join(BASE_PACKAGES)}",
                "bookworm",
                str(rootfs),
                DEBIAN_MIRROR,
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0:
            tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-20:])
            raise SetupError(f"debootstrap of the base image failed:\n{tail}")
        # Package lists and caches are of no use in an image.
        for junk in ("var/cache/apt", "var/lib/apt/lists"):
            shutil.rmtree(rootfs / junk, ignore_errors=True)
            (rootfs / junk).mkdir(parents=True)
        container = buildah("from", "scratch").strip()
        try:
            mount = Path(buildah("mount", container).strip())
            subprocess.run(["cp", "-a", f"{rootfs}/.", f"{mount}/"], check=True)
            buildah("umount", container)
            buildah(
                "config",
                "--env=PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                "--env=LANG=C.UTF-8",
                "--cmd=python3",
                container,
            )
            buildah("commit", "--quiet", container, BASE_IMAGE)
        finally:
            buildah("rm", container)
    return BuiltImage("base", BASE_IMAGE, time.monotonic() - started)


def source_hash() -> str:
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "--", *SOURCES],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    digest = hashlib.sha256()
    for relative in sorted(set(listed)):
        path = REPO_ROOT / relative
        if path.is_file():
            digest.update(relative.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def project_image(name: str) -> BuiltImage:
    """``satfeed-<name>`` built from its Dockerfile, unless the current one is up to date."""
    ref = reference(name)
    wanted = source_hash()
    if image_label(ref, SOURCE_LABEL) == wanted:
        return BuiltImage(name, ref, 0.0)
    base_image()
    started = time.monotonic()
    buildah(
        "bud",
        "--isolation=chroot",
        "--layers=false",
        "--quiet",
        f"--volume={CA_BUNDLE_MOUNT}",
        f"--build-arg=PYTHON_IMAGE={BASE_IMAGE}",
        f"--build-arg=VERSION={app_version()}",
        f"--label={SOURCE_LABEL}={wanted}",
        f"--file={REPO_ROOT / DOCKERFILES[name]}",
        f"--tag={ref}",
        str(REPO_ROOT),
    )
    # The image the tag left behind is unnamed now and used by nothing: without this, each
    # rebuild kept another 0.4-0.6 GB in the store.
    buildah("rmi", "--prune")
    return BuiltImage(name, ref, time.monotonic() - started)


def pause_image() -> BuiltImage:
    """The pod sandbox image: Kubernetes' pause binary alone, as its own image is."""
    tools = node_tools(build=False)
    ref = f"localhost/satfeed-pause:{tools.pause.parent.name.removeprefix('kubernetes-')}"
    if image_exists(ref):
        return BuiltImage("pause", ref, 0.0)
    started = time.monotonic()
    container = buildah("from", "scratch").strip()
    try:
        buildah("copy", "--chmod=0755", container, str(tools.pause), "/pause")
        buildah("config", '--entrypoint=["/pause"]', "--user=65535:65535", container)
        buildah("commit", "--quiet", container, ref)
    finally:
        buildah("rm", container)
    return BuiltImage("pause", ref, time.monotonic() - started)


ARCHIVES_KEPT: Final = 2
"""Archives kept per image: the newest, and the one before it for a second test bed (a
fresh clone's CI beside a working tree) that may still be importing it."""


def archive(ref: str) -> Path:
    """``ref`` as a Docker archive for ``ctr images import``, cached by image id; older
    archives of the same image are removed (each is 0.2-0.6 GB)."""
    image_id = buildah("inspect", "--type=image", "--format={{.FromImageID}}", ref).strip()
    repository = ref.rsplit(":", 1)[0].rsplit("/", 1)[-1]
    path = cache_dir() / "image-archives" / f"{repository}-{image_id[:16]}.tar"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        for stale in path.parent.glob("*.tar.tmp"):
            stale.unlink()
        tmp = path.with_suffix(".tar.tmp")
        buildah("push", "--quiet", ref, f"docker-archive:{tmp}:{ref}")
        tmp.rename(path)
        older = sorted(
            (each for each in path.parent.glob(f"{repository}-*.tar") if each != path),
            key=lambda each: each.stat().st_mtime,
        )
        for stale in older[: max(len(older) - (ARCHIVES_KEPT - 1), 0)]:
            stale.unlink(missing_ok=True)
    return path


def image_size(ref: str) -> int:
    """Bytes of the image's layers (uncompressed tar streams, as stored here)."""
    manifest = json.loads(json.loads(buildah("inspect", "--type=image", ref))["Manifest"])
    return sum(int(layer["size"]) for layer in manifest["layers"])


def build_all() -> list[BuiltImage]:
    """The base, pause and the three project images, building what is out of date."""
    return [base_image(), pause_image(), *(project_image(name) for name in DOCKERFILES)]
