#!/usr/bin/env python3
"""Checks the deployment files in deploy/ without Docker: run by ctest (deploy/deploy.cmake).

    python3 deploy/check.py                                  # static checks
    python3 deploy/check.py --edgetraced build/h/apps/edgetraced/edgetraced
    python3 deploy/check.py --deploy-dir /tmp/copy-of-deploy  # another tree (the tests)

What it checks:
  - every YAML file parses, and every TOML file (tomllib);
  - each compose service has an image (with a pinned tag, not `latest`) or a build whose
    context and Dockerfile exist, and whose COPY sources are in the context;
  - every file or folder a service mounts exists (relative to the compose file), and every
    named volume is declared;
  - every host port is published once;
  - every endpoint in the configs the services mount (and in the compose file's `command`
    and `environment`): `service:port` or `scheme://service[:port]` must name a compose
    service and a container port it declares (`ports` or `expose`); a wildcard listen
    address (`0.0.0.0:port`, `:port`) must be a port its own service declares;
  - with --edgetraced, each TOML file passes `edgetraced --check-config`. Tables that this
    edgetraced does not know yet and that are on their way (PENDING_TABLES) are left out of
    that run and reported as SKIPPED (exit 77, which ctest shows as a skipped test).

Exit: 0 all good, 1 problems (one line each), 2 usage, 77 nothing wrong but something skipped.
Needs Python 3.11 (tomllib) and PyYAML (Debian: python3-yaml, in scripts/setup).
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import re
import subprocess
import sys
import tempfile
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import yaml

COMPOSE_FILE = "docker-compose.yml"

# Tables deploy/edgetraced/edgetraced.toml sets before every edgetraced knows them: the trace
# store and its viewer / Jaeger query API, merged separately. Checked as soon as the binary's
# --print-config lists them; until then left out of --check-config and reported as skipped.
PENDING_TABLES = ("store", "ui")

# Ports a URL without one uses.
DEFAULT_PORTS = {"http": 80, "https": 443, "grpc": 80, "mqtt": 1883, "mqtts": 8883}

WILDCARD_HOSTS = {"", "0.0.0.0", "::", "[::]", "*"}
LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "::1", "[::1]"}

# scheme://host[:port]
URL_RE = re.compile(
    r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://(?P<host>\[[0-9A-Fa-f:.]*\]|[^/:\s\"'?#@\[\]]+)"
    r"(?::(?P<port>\d{1,5}))?")
# host:port or :port, not part of a longer word, path or time.
HOST_PORT_RE = re.compile(
    r"(?<![\w/.:@-])(?P<host>\[[0-9A-Fa-f:.]*\]|[A-Za-z0-9_.-]*):(?P<port>\d{1,5})(?![\w.:/-])")
# ${NAME}, ${NAME:-default}, ${NAME-default} in compose values.
COMPOSE_VAR_RE = re.compile(r"\$\{(?P<name>\w+)(?::?-(?P<default>[^}]*))?\}")


@dataclass
class Report:
    problems: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def problem(self, where: str, message: str) -> None:
        self.problems.append(f"{where}: {message}")


@dataclass
class Service:
    name: str
    container_ports: set[int] = field(default_factory=set)


@dataclass
class Endpoint:
    host: str
    port: int
    text: str


def rel(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root.parent))
    except ValueError:
        return str(path)


# --- endpoints -------------------------------------------------------------------------


def endpoints_in(text: str) -> list[Endpoint]:
    """The host:port pairs named in one string: URLs first, then bare host:port."""
    found: list[Endpoint] = []
    rest = text
    for m in URL_RE.finditer(text):
        scheme = m.group("scheme").lower()
        port = m.group("port")
        if port is None:
            if scheme not in DEFAULT_PORTS:
                continue
            port_number = DEFAULT_PORTS[scheme]
        else:
            port_number = int(port)
        found.append(Endpoint(m.group("host"), port_number, m.group(0)))
        rest = rest[:m.start()] + " " * (m.end() - m.start()) + rest[m.end():]
    for m in HOST_PORT_RE.finditer(rest):
        found.append(Endpoint(m.group("host"), int(m.group("port")), m.group(0)))
    return found


def is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
        return True
    except ValueError:
        return False


def check_endpoint(ep: Endpoint, owners: list[str], services: dict[str, Service], where: str,
                   report: Report) -> None:
    host = ep.host
    if host in WILDCARD_HOSTS:
        for owner in owners:
            if ep.port not in services[owner].container_ports:
                report.problem(
                    where, f"listens on {ep.text} but service '{owner}' declares no container "
                    f"port {ep.port} (add it to its `ports` or `expose`)")
        return
    if host in LOOPBACK_HOSTS or is_ip(host) or "." in host or not re.search(r"[A-Za-z]", host):
        return  # inside the container itself, an address, or a name outside the compose network
    target = services.get(host)
    if target is None:
        report.problem(where, f"refers to {ep.text}, but the compose file has no service "
                       f"'{host}' (services: {', '.join(sorted(services))})")
        return
    if ep.port not in target.container_ports:
        declared = ", ".join(str(p) for p in sorted(target.container_ports)) or "none"
        report.problem(where, f"refers to {ep.text}, but service '{host}' declares no container "
                       f"port {ep.port} (declared: {declared})")


def strings_in(value, key: str = ""):
    """Every string of a parsed YAML/TOML document, with the key it is under. Integers under a
    `*listen_port` key (Tempo's server.http_listen_port) are returned as ':port'."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from strings_in(v, str(k))
    elif isinstance(value, list):
        for v in value:
            yield from strings_in(v, key)
    elif isinstance(value, str):
        yield value
    elif isinstance(value, int) and not isinstance(value, bool) and key.endswith("listen_port"):
        yield f":{value}"


def text_lines(path: Path) -> list[str]:
    """The lines of a config file that is neither YAML nor TOML, comments dropped; mosquitto's
    `listener PORT [ADDRESS]` becomes a listen address."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith(("#", "//")):
            continue
        m = re.match(r"listener\s+(\d+)(?:\s+(\S+))?\s*$", stripped)
        if m:
            out.append(f"{m.group(2) or ''}:{m.group(1)}")
            continue
        out.append(stripped)
    return out


def config_strings(path: Path, report: Report, root: Path) -> list[str] | None:
    suffix = path.suffix.lower()
    try:
        if suffix in (".yml", ".yaml"):
            return list(strings_in(yaml.safe_load(path.read_text(encoding="utf-8"))))
        if suffix == ".toml":
            return list(strings_in(tomllib.loads(path.read_text(encoding="utf-8"))))
        return text_lines(path)
    except (yaml.YAMLError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        return None  # reported by the parse checks


# --- compose ---------------------------------------------------------------------------


def parse_port_entry(entry, where: str, report: Report) -> list[tuple[int | None, int, str]]:
    """(host port or None, container port, protocol) for one `ports` entry."""
    if isinstance(entry, dict):
        try:
            target = int(entry["target"])
        except (KeyError, TypeError, ValueError):
            report.problem(where, f"port entry {entry!r} has no numeric `target`")
            return []
        published = entry.get("published")
        proto = str(entry.get("protocol", "tcp"))
        return [(int(published) if published is not None else None, target, proto)]
    text = str(entry)
    proto = "tcp"
    if "/" in text:
        text, proto = text.rsplit("/", 1)
    # [ip:]host:container, where ip may be [v6].
    m = re.fullmatch(r"(?:(?P<ip>\[[^\]]*\]|\d+\.\d+\.\d+\.\d+):)?(?:(?P<host>[\d-]*):)?(?P<container>[\d-]+)",
                     text)
    if not m:
        report.problem(where, f"cannot read port entry '{entry}'")
        return []

    def expand(spec: str) -> list[int]:
        if "-" in spec:
            lo, hi = spec.split("-", 1)
            return list(range(int(lo), int(hi) + 1))
        return [int(spec)]

    containers = expand(m.group("container"))
    host = m.group("host")
    if not host:
        return [(None, c, proto) for c in containers]
    hosts = expand(host)
    if len(hosts) != len(containers):
        report.problem(where, f"port entry '{entry}': host and container ranges differ in length")
        return []
    return [(h, c, proto) for h, c in zip(hosts, containers)]


def check_dockerfile_copies(dockerfile: Path, context: Path, where: str, report: Report) -> None:
    """Each COPY/ADD source taken from the build context (not --from a stage) must exist."""
    text = re.sub(r"\\\n", " ", dockerfile.read_text(encoding="utf-8"))
    for line in text.splitlines():
        words = line.split()
        if len(words) < 3 or words[0].upper() not in ("COPY", "ADD"):
            continue
        args = words[1:]
        if any(a.startswith("--from=") for a in args):
            continue
        sources = [a for a in args if not a.startswith("--")][:-1]
        for source in sources:
            if "://" in source or any(c in source for c in "*?[$"):
                continue
            if not (context / source).exists():
                report.problem(where, f"{dockerfile.name} copies '{source}', which is not in the "
                               f"build context")


def resolve_env(value: str) -> str:
    """A compose value with ${VAR:-default} replaced by its default (the variable's value is
    the user's business; the default is what the repository ships)."""
    return COMPOSE_VAR_RE.sub(lambda m: m.group("default") or "", value)


def check_compose(deploy: Path, report: Report):
    """Returns (services, mounts) where mounts maps each mounted path in the repository to the
    services that mount it."""
    compose_path = deploy / COMPOSE_FILE
    where = rel(compose_path, deploy)
    if not compose_path.is_file():
        report.problem(where, "missing")
        return {}, {}
    try:
        compose = yaml.safe_load(compose_path.read_text(encoding="utf-8"))
    except yaml.YAMLError:
        return {}, {}  # reported by the parse checks
    if not isinstance(compose, dict) or not isinstance(compose.get("services"), dict):
        report.problem(where, "has no `services` mapping")
        return {}, {}
    declared_volumes = set((compose.get("volumes") or {}).keys())
    services: dict[str, Service] = {}
    mounts: dict[Path, list[str]] = {}
    host_ports: dict[tuple[int, str], str] = {}
    raw = compose["services"]

    for name, svc in raw.items():
        svc = svc or {}
        at = f"{where}: service '{name}'"
        service = Service(name)
        services[name] = service
        image, build = svc.get("image"), svc.get("build")
        if not image and not build:
            report.problem(at, "has neither `image` nor `build`")
        if image:
            last = str(image).rsplit("/", 1)[-1]
            if "@sha256:" not in str(image) and (":" not in last or last.endswith(":latest")):
                report.problem(at, f"image '{image}' is not pinned to a version tag")
        if build:
            context = build if isinstance(build, str) else build.get("context", ".")
            context_dir = (compose_path.parent / context).resolve()
            dockerfile = "Dockerfile" if isinstance(build, str) else build.get(
                "dockerfile", "Dockerfile")
            if not context_dir.is_dir():
                report.problem(at, f"build context '{context}' does not exist")
            elif not (context_dir / dockerfile).is_file():
                report.problem(at, f"Dockerfile '{dockerfile}' does not exist in '{context}'")
            else:
                check_dockerfile_copies(context_dir / dockerfile, context_dir, at, report)

        for entry in svc.get("volumes") or []:
            if isinstance(entry, dict):
                kind, source = entry.get("type", "volume"), entry.get("source")
                if kind == "bind" and source and not str(source).startswith((".", "/", "~")):
                    source = "./" + str(source)
            else:
                source = str(entry).split(":", 1)[0] if ":" in str(entry) else None
            if not source:
                continue  # an anonymous volume
            source = str(source)
            if source.startswith((".", "/", "~")):
                path = (compose_path.parent / os.path.expanduser(source)).resolve()
                repo = deploy.resolve().parent
                if not path.is_relative_to(repo):
                    report.problem(at, f"mounts '{source}', a host path outside the repository")
                elif not path.exists():
                    report.problem(at, f"mounts '{source}', which does not exist "
                                   f"({rel(path, deploy)})")
                else:
                    mounts.setdefault(path, []).append(name)
            elif source not in declared_volumes:
                report.problem(at, f"uses volume '{source}', not declared under `volumes`")

        for entry in svc.get("ports") or []:
            for host, container, proto in parse_port_entry(entry, at, report):
                service.container_ports.add(container)
                if host is None:
                    continue
                key = (host, proto)
                if key in host_ports:
                    report.problem(at, f"publishes host port {host}/{proto}, already published "
                                   f"by service '{host_ports[key]}'")
                else:
                    host_ports[key] = name
        for entry in svc.get("expose") or []:
            text = str(entry).split("/", 1)[0]
            if not re.fullmatch(r"\d+(-\d+)?", text):
                report.problem(at, f"cannot read expose entry '{entry}'")
                continue
            lo, _, hi = text.partition("-")
            service.container_ports.update(range(int(lo), int(hi or lo) + 1))

    # Endpoints in the compose file itself: command lines and environment values.
    for name, svc in raw.items():
        svc = svc or {}
        at = f"{where}: service '{name}'"
        values: list[str] = []
        command = svc.get("command")
        if isinstance(command, str):
            values.append(command)
        elif isinstance(command, list):
            values.extend(str(c) for c in command)
        env = svc.get("environment") or {}
        if isinstance(env, dict):
            values.extend(str(v) for v in env.values() if v is not None)
        else:
            values.extend(str(e).split("=", 1)[1] for e in env if "=" in str(e))
        for value in values:
            for ep in endpoints_in(resolve_env(value)):
                check_endpoint(ep, [name], services, at, report)
    return services, mounts


def owners_of(path: Path, mounts: dict[Path, list[str]]) -> list[str]:
    owners: list[str] = []
    resolved = path.resolve()
    for mounted, names in mounts.items():
        if resolved == mounted or (mounted.is_dir() and resolved.is_relative_to(mounted)):
            owners.extend(n for n in names if n not in owners)
    return owners


# --- edgetraced ------------------------------------------------------------------------


def without_tables(text: str, tables: set[str]) -> str:
    """The TOML text without the sections of the given top-level tables ([t] and [t.x]): their
    lines become empty, so that line numbers in edgetraced's messages stay those of the file."""
    out, skipping = [], False
    header = re.compile(r"^\s*\[\[?\s*([A-Za-z0-9_-]+)[^\]]*\]\]?\s*(#.*)?$")
    for line in text.splitlines(keepends=True):
        m = header.match(line)
        if m:
            skipping = m.group(1) in tables
        out.append("\n" if skipping else line)
    return "".join(out)


def check_edgetraced(deploy: Path, binary: str, report: Report) -> None:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("OTEL_") and k != "EDGETRACED_CONFIG"}
    try:
        printed = subprocess.run([binary, "--print-config"], capture_output=True, text=True,
                                 timeout=60, env=env)
    except (OSError, subprocess.TimeoutExpired) as e:
        report.problem(binary, f"cannot run --print-config: {e}")
        return
    if printed.returncode != 0:
        report.problem(binary, f"--print-config exited {printed.returncode}: "
                       f"{printed.stderr.strip()}")
        return
    known = set(re.findall(r"^\[\[?([A-Za-z0-9_-]+)", printed.stdout, re.MULTILINE))
    for path in sorted(deploy.rglob("*.toml")):
        where = rel(path, deploy)
        try:
            text = path.read_text(encoding="utf-8")
            doc = tomllib.loads(text)
        except (tomllib.TOMLDecodeError, UnicodeDecodeError):
            continue  # reported by the parse checks
        pending = sorted(t for t in PENDING_TABLES if t in doc and t not in known)
        target = path
        with tempfile.TemporaryDirectory() as tmp:
            if pending:
                target = Path(tmp) / path.name
                target.write_text(without_tables(text, set(pending)), encoding="utf-8")
                names = ", ".join(f"[{t}]" for t in pending)
                report.skipped.append(
                    f"{where}: {names} not checked by {binary}: this edgetraced does not know "
                    f"{'it' if len(pending) == 1 else 'them'} yet (the trace store adds them); "
                    f"the rest of the file was checked")
            try:
                run = subprocess.run([binary, "--check-config", str(target)], capture_output=True,
                                     text=True, timeout=60, env=env)
            except (OSError, subprocess.TimeoutExpired) as e:
                report.problem(where, f"cannot run {binary} --check-config: {e}")
                continue
            if run.returncode != 0:
                message = (run.stderr.strip() or run.stdout.strip()).replace(str(target), where)
                report.problem(where, f"edgetraced --check-config refuses it "
                               f"(exit {run.returncode}): {message}")


# --- all -------------------------------------------------------------------------------


def check(deploy: Path, edgetraced: str | None = None) -> Report:
    report = Report()
    deploy = deploy.resolve()
    for path in sorted(list(deploy.rglob("*.yml")) + list(deploy.rglob("*.yaml"))):
        try:
            yaml.safe_load(path.read_text(encoding="utf-8"))
        except (yaml.YAMLError, UnicodeDecodeError) as e:
            report.problem(rel(path, deploy), f"is not valid YAML: {e}")
    for path in sorted(deploy.rglob("*.toml")):
        try:
            tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
            report.problem(rel(path, deploy), f"is not valid TOML: {e}")

    services, mounts = check_compose(deploy, report)
    compose_path = (deploy / COMPOSE_FILE).resolve()
    for path in sorted(p for p in deploy.rglob("*") if p.is_file()):
        if path.resolve() == compose_path:
            continue
        owners = owners_of(path, mounts)
        if not owners:
            continue  # not used by the compose stack (the systemd files, the checker...)
        strings = config_strings(path, report, deploy)
        for value in strings or []:
            for ep in endpoints_in(value):
                check_endpoint(ep, owners, services, rel(path, deploy), report)

    if edgetraced:
        check_edgetraced(deploy, edgetraced, report)
    return report


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--deploy-dir", type=Path, default=Path(__file__).resolve().parent,
                        help="the deploy folder to check (default: the one this file is in)")
    parser.add_argument("--edgetraced", metavar="BINARY",
                        help="also run BINARY --check-config on every TOML file")
    args = parser.parse_args(argv)
    report = check(args.deploy_dir, args.edgetraced)
    for p in report.problems:
        print(f"deploy check: FAILED: {p}")
    for s in report.skipped:
        print(f"deploy check: SKIPPED: {s}")
    if report.problems:
        print(f"deploy check: {len(report.problems)} problem(s)")
        return 1
    if report.skipped:
        return 77
    print("deploy check: OK" + (" (configs accepted by edgetraced)" if args.edgetraced else
                                " (static checks; give --edgetraced to validate the TOML)"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
