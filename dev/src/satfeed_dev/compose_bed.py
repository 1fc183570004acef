"""The Compose stack (``deploy/compose``) on the test bed's own Docker Engine.

No registry is reachable here, so the images the Compose file names come from this machine:

- the project's images by ``make images`` itself (``docker build`` of the three
  Dockerfiles), from the Python base that :mod:`satfeed_dev.images` makes by debootstrap,
  loaded into the engine as ``PYTHON_IMAGE``;
- Kafka as ``satfeed-kafka-standin``: ``dev/docker/kafka``, the test bed's Kafka jars
  (plus kafka-tools, ``dev/maven/kafka-image``) laid out as the official ``apache/kafka``
  image is, passed through the Compose file's ``KAFKA_IMAGE``. Users pull apache/kafka.

The stack is secure by default (SCRAM-SHA-512 over TLS, ACLs): :meth:`ComposeStack.security`
gives a client on this host the credentials of one of its services, taken from the container
as a user would (``docker exec ... cat``).

Builds run with ``--network host`` (the engine's bridges have no route out) and are cached
by Docker in the engine's per-machine data root. Their base carries this machine's CA
bundle (:data:`BASE_WITH_CA`), so these images are for the tests here, never for users.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from satfeed_core.kafka_security import SASL_SSL, KafkaSecurity

from . import images
from .docker_engine import DockerEngine
from .procs import ServiceError
from .toolchain import REPO_ROOT, SetupError, cache_dir, require_tool

COMPOSE_FILE = REPO_ROOT / "deploy" / "compose" / "compose.yaml"
KAFKA_CONTEXT = REPO_ROOT / "dev" / "docker" / "kafka"
KAFKA_POM = REPO_ROOT / "dev" / "maven" / "kafka-image" / "pom.xml"
KAFKA_VERSION = "4.3.1"
KAFKA_IMAGE = f"satfeed-kafka-standin:{KAFKA_VERSION}"
BUILD_FLAGS = "--network host --force-rm"
PASSWORD_FILE = "/etc/satfeed/kafka-user/password"  # noqa: S105 (a path)
CA_FILE = "/etc/satfeed/kafka-ca/ca.crt"
"""Where the Compose file mounts each client's password and the stack's CA."""
HOST_CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"
BASE_WITH_CA = "localhost/satfeed-base-ca:bookworm"
"""The base with this machine's CA bundle, which ``docker build`` (unlike buildah) cannot
mount for a build alone: this network inspects TLS. Only the test's images carry it."""


def _kafka_libs() -> Path:
    out = cache_dir() / "maven" / f"kafka-image-{KAFKA_VERSION}"
    if (out / ".complete").exists():
        return out
    require_tool("mvn", "install Maven 3.8 or newer, e.g. 'apt-get install maven'")
    shutil.rmtree(out, ignore_errors=True)
    done = subprocess.run(
        ["mvn", "-B", "-q", "-f", str(KAFKA_POM), "dependency:copy-dependencies",
         "-DincludeScope=runtime", f"-DoutputDirectory={out}"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).splitlines()[-20:])
        raise SetupError(f"fetching the Kafka image's jars from Maven Central failed:\n{tail}")
    (out / ".complete").touch()
    return out


@dataclass(frozen=True)
class ImageTimes:
    seconds: dict[str, float]
    """Per step: load of the base, make images, the Kafka stand-in."""


def build_images(engine: DockerEngine) -> ImageTimes:
    """The base loaded, ``make images`` run for real, the Kafka stand-in built."""
    times: dict[str, float] = {}
    started = time.monotonic()
    if engine.docker("image", "inspect", images.BASE_IMAGE, check=False).returncode != 0:
        images.base_image()
        engine.docker("load", "--input", str(images.archive(images.BASE_IMAGE)), timeout=600)
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copy(HOST_CA_BUNDLE, Path(tmp) / "ca-certificates.crt")
        (Path(tmp) / "Dockerfile").write_text(
            f"FROM {images.BASE_IMAGE}\nCOPY ca-certificates.crt {HOST_CA_BUNDLE}\n"
        )
        engine.docker("build", f"--tag={BASE_WITH_CA}", tmp)
    times["base"] = time.monotonic() - started
    started = time.monotonic()
    env = {**engine.env(), "PYTHON_IMAGE": BASE_WITH_CA, "DOCKER_BUILD_FLAGS": BUILD_FLAGS}
    done = subprocess.run(
        ["make", "--no-print-directory", "images"],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=3600, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).splitlines()[-30:])
        raise ServiceError(f"make images failed (exit {done.returncode}):\n{tail}")
    times["make images"] = time.monotonic() - started
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        context = Path(tmp) / "kafka"
        shutil.copytree(KAFKA_CONTEXT, context)
        shutil.copytree(_kafka_libs(), context / "libs", ignore=shutil.ignore_patterns(".*"))
        engine.docker(
            "build", *BUILD_FLAGS.split(), f"--build-arg=BASE_IMAGE={BASE_WITH_CA}",
            f"--tag={KAFKA_IMAGE}", str(context), timeout=1800,
        )  # fmt: skip
    times["kafka stand-in"] = time.monotonic() - started
    # What a rebuild left untagged, and containers of failed builds or killed sessions (vfs
    # stores every layer whole): the current images keep their own layers, and so their
    # cache. Nothing else uses this engine meanwhile (its lock).
    engine.docker("container", "prune", "--force")
    engine.docker("image", "prune", "--force")
    return ImageTimes(times)


@dataclass
class ComposeStack:
    """One ``docker-compose`` project of ``deploy/compose/compose.yaml`` on ``engine``."""

    engine: DockerEngine
    http_port: int
    kafka_port: int
    project: str = field(default_factory=lambda: f"satfeed-test-{uuid.uuid4().hex[:8]}")
    overrides: tuple[Path, ...] = ()
    variables: dict[str, str] = field(default_factory=dict)
    """More of the Compose file's variables, e.g. SATFEED_KAFKA_SECURITY_PROTOCOL."""
    secrets: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="compose-")))
    """This host's copies of the credentials :meth:`security` hands out."""

    @property
    def bootstrap_servers(self) -> str:
        """The stack's listener for this host."""
        return f"127.0.0.1:{self.kafka_port}"

    def security(self, service: str) -> KafkaSecurity:
        """The Kafka credentials of ``service`` (producer-*, frontend), for a client here."""
        container = self.container(service)
        (self.secrets / service).mkdir(parents=True, exist_ok=True)
        password = self.secrets / service / "password"
        ca = self.secrets / "ca.crt"
        for source, target in ((PASSWORD_FILE, password), (CA_FILE, ca)):
            target.write_text(self.engine.docker("exec", container, "cat", source).stdout)
        username = self.engine.docker(
            "exec", container, "printenv", "KAFKA_SASL_USERNAME"
        ).stdout.strip()
        return KafkaSecurity(SASL_SSL, username, password, ca)

    def env(self) -> dict[str, str]:
        return {
            **self.engine.env(),
            "KAFKA_IMAGE": KAFKA_IMAGE,
            "SATFEED_HTTP_PORT": str(self.http_port),
            "SATFEED_KAFKA_PORT": str(self.kafka_port),
            **self.variables,
        }

    def compose(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        files = [arg for path in (COMPOSE_FILE, *self.overrides) for arg in ("-f", str(path))]
        return subprocess.run(
            ["docker-compose", "--project-name", self.project, *files, *args],
            env=self.env(), capture_output=True, text=True, timeout=timeout, check=False,
        )  # fmt: skip

    def up(self) -> subprocess.CompletedProcess[str]:
        """``make compose-up``'s script: up -d, and on failure which service and why."""
        files = ":".join(str(path) for path in (COMPOSE_FILE, *self.overrides))
        return subprocess.run(
            [str(REPO_ROOT / "deploy" / "compose" / "up.sh")],
            env={**self.env(), "COMPOSE_PROJECT_NAME": self.project, "COMPOSE_FILE": files},
            capture_output=True, text=True, timeout=900, check=False,
        )  # fmt: skip

    def down(self) -> subprocess.CompletedProcess[str]:
        shutil.rmtree(self.secrets, ignore_errors=True)
        return self.compose("down", "--volumes", "--remove-orphans", "--timeout", "20")

    def container(self, service: str) -> str:
        done = self.compose("ps", "-q", service)
        ids = done.stdout.split()
        if not ids:
            raise ServiceError(f"service {service} has no container: {done.stderr.strip()}")
        return ids[0]

    def health(self) -> Mapping[str, str]:
        """Service -> health (or state, for services without a healthcheck)."""
        states = {}
        for cid in self.compose("ps", "-q").stdout.split():
            info = json.loads(self.engine.docker("inspect", cid).stdout)[0]
            service = info["Config"]["Labels"]["com.docker.compose.service"]
            state = info["State"]
            states[service] = (state.get("Health") or {}).get("Status") or state["Status"]
        return states

    def leftovers(self) -> dict[str, list[str]]:
        """This project's containers (running or not), networks and volumes in the engine."""
        label = f"label=com.docker.compose.project={self.project}"
        return {
            "containers": self.engine.docker("ps", "-aq", "--filter", label).stdout.split(),
            "networks": self.engine.docker("network", "ls", "-q", "--filter", label).stdout.split(),
            "volumes": self.engine.docker("volume", "ls", "-q", "--filter", label).stdout.split(),
        }
