"""A PyPI stand-in for offline grading: wheels made from Debian's Python packages, in the
"simple" index layout pip reads (PEP 503). Run in a Debian container where the packages named
on the command line (python3-flask ...) are installed: each one, and the python3-* packages it
depends on, becomes a pure-Python wheel (compiled speed-ups left out: these projects fall back
to their Python code), whose Requires-Dist are its Debian dependencies. Usage:
make-index.py OUT_DIR DEBIAN_PACKAGE...
"""

import base64
import hashlib
import importlib.metadata
import os
import pathlib
import re
import subprocess
import sys
import zipfile

SITE = "/usr/lib/python3/dist-packages"


def query(fmt, package):
    return subprocess.run(
        ["dpkg-query", "-W", f"-f={fmt}", package], capture_output=True, text=True, check=True
    ).stdout


def installed(package):
    status = subprocess.run(
        ["dpkg-query", "-W", "-f=${Status}", package], capture_output=True, text=True
    ).stdout
    return status.endswith(" installed")


def python_dependencies(package):
    """The python3-* packages it depends on: of alternatives, the first installed."""
    names = []
    for group in query("${Depends}", package).split(","):
        options = [option.strip().split(" ")[0].split(":")[0] for option in group.split("|")]
        chosen = next((option for option in options if installed(option)), None)
        if chosen is not None and chosen.startswith("python3-"):
            names.append(chosen)
    return names


def package_files(package):
    listed = subprocess.run(["dpkg-query", "-L", package], capture_output=True, text=True, check=True).stdout
    return [line for line in listed.split("\n") if line.startswith(SITE + "/")]


def metadata_dir(files):
    for file in files:
        relative = file[len(SITE) + 1 :]
        if "/" not in relative and relative.endswith((".egg-info", ".dist-info")):
            return file
    return None


def normalise(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def record_line(path, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{path},sha256={digest},{len(data)}"


def make_wheel(out, package, dependencies):
    files = package_files(package)
    meta = metadata_dir(files)
    dist = importlib.metadata.PathDistribution(pathlib.Path(meta))
    name, version = dist.metadata["Name"], dist.version
    stem = f"{re.sub(r'[-_.]+', '_', name)}-{version}"
    info = f"{stem}.dist-info"
    wheel = f"{stem}-py3-none-any.whl"
    lines = [
        "Metadata-Version: 2.1",
        f"Name: {name}",
        f"Version: {version}",
        f"Summary: {dist.metadata.get('Summary', '')} (offline stand-in built from Debian's {package})",
    ]
    lines += [f"Requires-Dist: {dependency}" for dependency in dependencies]
    generated = {
        f"{info}/METADATA": ("\n".join(lines) + "\n").encode(),
        f"{info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: docker-autograder\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    entry_points = pathlib.Path(meta, "entry_points.txt")
    if entry_points.is_file():
        generated[f"{info}/entry_points.txt"] = entry_points.read_bytes()
    record = []
    with zipfile.ZipFile(os.path.join(out, "packages", wheel), "w", zipfile.ZIP_DEFLATED) as archive:
        for file in sorted(files):
            relative = file[len(SITE) + 1 :]
            if file.startswith(meta) or "__pycache__" in relative or relative.endswith(".so"):
                continue
            if os.path.islink(file) or not os.path.isfile(file):
                continue
            data = pathlib.Path(file).read_bytes()
            archive.writestr(relative, data)
            record.append(record_line(relative, data))
        for path, data in generated.items():
            archive.writestr(path, data)
            record.append(record_line(path, data))
        record.append(f"{info}/RECORD,,")
        archive.writestr(f"{info}/RECORD", "\n".join(record) + "\n")
    return name, wheel


def main():
    out, roots = sys.argv[1], sys.argv[2:]
    os.makedirs(os.path.join(out, "packages"), exist_ok=True)
    seen, queue, names = set(), list(roots), {}
    while queue:
        package = queue.pop(0)
        if package in seen:
            continue
        seen.add(package)
        meta = metadata_dir(package_files(package))
        if meta is None:
            continue
        names[package] = importlib.metadata.PathDistribution(pathlib.Path(meta)).metadata["Name"]
        queue.extend(python_dependencies(package))
    projects = {}
    for package in sorted(names):
        dependencies = [names[d] for d in python_dependencies(package) if d in names]
        name, wheel = make_wheel(out, package, dependencies)
        projects.setdefault(normalise(name), []).append(wheel)
    simple = os.path.join(out, "simple")
    links = []
    for project, wheels in sorted(projects.items()):
        os.makedirs(os.path.join(simple, project), exist_ok=True)
        anchors = "".join(
            f'<a href="../../packages/{wheel}#sha256={hashlib.sha256(pathlib.Path(out, "packages", wheel).read_bytes()).hexdigest()}">{wheel}</a><br>\n'
            for wheel in wheels
        )
        pathlib.Path(simple, project, "index.html").write_text(f"<!DOCTYPE html>\n<html><body>\n{anchors}</body></html>\n")
        links.append(f'<a href="{project}/">{project}</a><br>\n')
        print(f"{project}: {', '.join(wheels)}")
    pathlib.Path(simple, "index.html").write_text("<!DOCTYPE html>\n<html><body>\n" + "".join(links) + "</body></html>\n")


main()
