"""Image sizes and build times of the project's images, built here with buildah.

For each image: its size, the base's size, what its Dockerfile installs (the /opt/satfeed
virtual environment), and the ratio image / (base + installed): 1.00 means nothing but the
base and the packages is in it (target: at most 1.2). ``--rebuild`` removes the images
first, so the build times are cold builds (every wheel downloaded again; the base image
and the Go binaries stay cached).

    uv run --frozen python -m bench.images [--rebuild]
"""

from __future__ import annotations

import argparse
import subprocess

from satfeed_dev import images


def installed_bytes(reference: str) -> int:
    """Bytes under /opt/satfeed in the image (its Python environment)."""
    container = images.buildah("from", "--quiet", reference).strip()
    try:
        mount = images.buildah("mount", container).strip()
        out = subprocess.run(
            ["du", "-sb", f"{mount}/opt/satfeed"], capture_output=True, text=True, check=True
        ).stdout
        return int(out.split()[0])
    finally:
        images.buildah("umount", container)
        images.buildah("rm", container)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rebuild", action="store_true", help="remove the images first (cold)")
    args = parser.parse_args()
    if args.rebuild:
        for name in images.DOCKERFILES:
            if images.image_exists(images.reference(name)):
                images.buildah("rmi", images.reference(name))
    base = images.base_image()
    base_bytes = images.image_size(base.reference)
    print(f"base {base.reference}: {base_bytes / 1e6:.0f} MB")
    print(f"{'image':10} {'build s':>8} {'image MB':>9} {'installed MB':>13} {'ratio':>6}")
    for name in images.DOCKERFILES:
        built = images.project_image(name)
        size = images.image_size(built.reference)
        installed = installed_bytes(built.reference)
        ratio = size / (base_bytes + installed)
        print(
            f"{name:10} {built.seconds:8.1f} {size / 1e6:9.0f} {installed / 1e6:13.0f} {ratio:6.2f}"
        )


if __name__ == "__main__":
    main()
