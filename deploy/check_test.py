#!/usr/bin/env python3
"""Tests of deploy/check.py: the repository's deploy/ passes, and broken copies of it (one
fault each) are reported with a message naming the fault. Run by ctest (deploy.check_test),
or directly: python3 deploy/check_test.py
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import tempfile
import textwrap
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import check  # noqa: E402


class BrokenCopy:
    """A copy of deploy/ in a temporary folder (as <tmp>/deploy), to break one thing in."""

    def __init__(self) -> None:
        self._tmp = tempfile.TemporaryDirectory()
        self.root = Path(self._tmp.name) / "deploy"
        shutil.copytree(HERE, self.root, ignore=shutil.ignore_patterns("__pycache__"))
        # The image's build context is the repository root: what its Dockerfile copies from
        # outside deploy/.
        (self.root.parent / "scripts").mkdir()
        shutil.copy(HERE.parent / "scripts" / "setup", self.root.parent / "scripts" / "setup")

    def replace(self, name: str, old: str, new: str) -> None:
        path = self.root / name
        text = path.read_text(encoding="utf-8")
        # The fault must really be made: a replacement that matches nothing proves nothing.
        assert text.count(old) == 1, f"{name}: '{old}' found {text.count(old)} times"
        path.write_text(text.replace(old, new), encoding="utf-8")

    def check(self, edgetraced: str | None = None) -> check.Report:
        return check.check(self.root, edgetraced)

    def close(self) -> None:
        self._tmp.cleanup()


def fake_edgetraced(folder: Path, print_config: str, refuse: str | None) -> str:
    """An executable that answers --print-config with print_config and --check-config FILE with
    exit 2 when FILE contains `refuse` (as edgetraced does on an unknown key)."""
    path = folder / "edgetraced"
    path.write_text(textwrap.dedent(f"""\
        #!{sys.executable}
        import sys
        if sys.argv[1] == "--print-config":
            sys.stdout.write({print_config!r})
            sys.exit(0)
        assert sys.argv[1] == "--check-config"
        text = open(sys.argv[2]).read()
        refuse = {refuse!r}
        if refuse is not None and refuse in text:
            sys.stderr.write(sys.argv[2] + ":1:1: unknown key " + repr(refuse) + "\\n")
            sys.exit(2)
        print(sys.argv[2] + ": valid")
        """), encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


class CheckTest(unittest.TestCase):
    def setUp(self) -> None:
        self.copy = BrokenCopy()
        self.addCleanup(self.copy.close)

    def assertReported(self, report: check.Report, *fragments: str) -> None:
        for problem in report.problems:
            if all(f in problem for f in fragments):
                return
        self.fail(f"no problem mentions {fragments}; problems: {report.problems}")

    def test_repository_deploy_folder_passes(self) -> None:
        report = check.check(HERE)
        self.assertEqual(report.problems, [])

    def test_unbroken_copy_passes(self) -> None:
        # The control for every test below: the copy itself is clean.
        self.assertEqual(self.copy.check().problems, [])

    def test_missing_mounted_config_is_reported(self) -> None:
        (self.copy.root / "collector" / "config.yaml").unlink()
        self.assertReported(self.copy.check(), "otel-collector", "./collector/config.yaml",
                            "does not exist")

    def test_missing_mounted_folder_is_reported(self) -> None:
        shutil.rmtree(self.copy.root / "grafana" / "provisioning")
        self.assertReported(self.copy.check(), "grafana", "does not exist")

    def test_duplicate_host_port_is_reported(self) -> None:
        self.copy.replace("docker-compose.yml", '"16687:16686"', '"16686:16686"')
        self.assertReported(self.copy.check(), "jaeger", "host port 16686/tcp",
                            "already published by service 'edgetraced'")

    def test_duplicate_host_port_with_an_address_is_reported(self) -> None:
        self.copy.replace("docker-compose.yml", '"3000:3000"', '"127.0.0.1:7701:3000"')
        self.assertReported(self.copy.check(), "grafana", "host port 7701/tcp",
                            "already published by service 'edgetraced'")

    def test_endpoint_to_unknown_service_is_reported(self) -> None:
        self.copy.replace("collector/config.yaml", "endpoint: tempo:4317",
                          "endpoint: tempo-db:4317")
        self.assertReported(self.copy.check(), "collector/config.yaml", "tempo-db:4317",
                            "no service 'tempo-db'")

    def test_url_to_unknown_service_in_edgetraced_toml_is_reported(self) -> None:
        self.copy.replace("edgetraced/edgetraced.toml", '"http://otel-collector:4318"',
                          '"http://collector:4318"')
        self.assertReported(self.copy.check(), "edgetraced/edgetraced.toml", "no service "
                            "'collector'")

    def test_port_the_service_does_not_declare_is_reported(self) -> None:
        self.copy.replace("grafana/provisioning/datasources/datasources.yaml",
                          "http://tempo:3200", "http://tempo:3100")
        self.assertReported(self.copy.check(), "datasources.yaml", "service 'tempo' declares "
                            "no container port 3100")

    def test_url_without_port_uses_the_scheme_default(self) -> None:
        self.copy.replace("edgetraced/edgetraced.toml", '"mqtt://mosquitto:1883"',
                          '"mqtts://mosquitto"')
        self.assertReported(self.copy.check(), "mqtts://mosquitto", "no container port 8883")

    def test_alloy_endpoint_is_checked(self) -> None:
        self.copy.replace("alloy/config.alloy", 'endpoint = "tempo:4317"',
                          'endpoint = "tempo:4319"')
        self.assertReported(self.copy.check(), "alloy/config.alloy", "tempo:4319")

    def test_listen_port_not_declared_is_reported(self) -> None:
        self.copy.replace("collector/config.yaml", "endpoint: 0.0.0.0:4318",
                          "endpoint: 0.0.0.0:4328")
        self.assertReported(self.copy.check(), "collector/config.yaml", "listens on 0.0.0.0:4328",
                            "'otel-collector'")

    def test_mosquitto_listener_not_declared_is_reported(self) -> None:
        self.copy.replace("mosquitto/mosquitto.conf", "listener 1883", "listener 1884")
        self.assertReported(self.copy.check(), "mosquitto.conf", "'mosquitto'", "1884")

    def test_compose_environment_default_is_checked(self) -> None:
        self.copy.replace("docker-compose.yml", "${EDGETRACE_EXPORT_ENDPOINT:-}",
                          "${EDGETRACE_EXPORT_ENDPOINT:-http://gateway:4318}")
        self.assertReported(self.copy.check(), "service 'edgetraced'", "no service 'gateway'")

    def test_compose_command_listen_address_is_checked(self) -> None:
        self.copy.replace("docker-compose.yml", "--server.http.listen-addr=0.0.0.0:12345",
                          "--server.http.listen-addr=0.0.0.0:12346")
        self.assertReported(self.copy.check(), "service 'alloy'", "0.0.0.0:12346")

    def test_service_without_image_or_build_is_reported(self) -> None:
        self.copy.replace("docker-compose.yml", "    image: eclipse-mosquitto:2.0.20\n", "")
        self.assertReported(self.copy.check(), "service 'mosquitto'", "neither `image` nor "
                            "`build`")

    def test_unpinned_image_is_reported(self) -> None:
        self.copy.replace("docker-compose.yml", "grafana/grafana:11.3.0", "grafana/grafana")
        self.assertReported(self.copy.check(), "service 'grafana'", "not pinned")

    def test_latest_tag_is_reported(self) -> None:
        self.copy.replace("docker-compose.yml", "jaegertracing/all-in-one:1.62.0",
                          "jaegertracing/all-in-one:latest")
        self.assertReported(self.copy.check(), "service 'jaeger'", "not pinned")

    def test_missing_dockerfile_is_reported(self) -> None:
        (self.copy.root / "edgetraced" / "Dockerfile").unlink()
        # The copy's build context (..) is the temporary folder, which has no Dockerfile either.
        self.assertReported(self.copy.check(), "service 'edgetraced'", "Dockerfile")

    def test_dockerfile_copying_a_missing_file_is_reported(self) -> None:
        (self.copy.root / "edgetraced" / "entrypoint.sh").unlink()
        report = self.copy.check()
        self.assertReported(report, "service 'edgetraced'", "deploy/edgetraced/entrypoint.sh",
                            "not in the build context")
        self.assertEqual(len(report.problems), 1, report.problems)

    def test_undeclared_named_volume_is_reported(self) -> None:
        self.copy.replace("docker-compose.yml", "  grafana-data:\n", "")
        self.assertReported(self.copy.check(), "service 'grafana'", "'grafana-data'",
                            "not declared")

    def test_invalid_yaml_is_reported(self) -> None:
        self.copy.replace("tempo/tempo.yaml", "  http_listen_port: 3200",
                          "  http_listen_port: [3200")
        self.assertReported(self.copy.check(), "tempo/tempo.yaml", "not valid YAML")

    def test_invalid_toml_is_reported(self) -> None:
        self.copy.replace("edgetraced/edgetraced.toml", 'log_level = "info"', "log_level = info")
        self.assertReported(self.copy.check(), "edgetraced/edgetraced.toml", "not valid TOML")

    def test_exit_codes(self) -> None:
        script = str(HERE / "check.py")
        good = subprocess.run([sys.executable, script, "--deploy-dir", str(self.copy.root)],
                              capture_output=True, text=True)
        self.assertEqual(good.returncode, 0, good.stdout + good.stderr)
        self.copy.replace("docker-compose.yml", '"16687:16686"', '"3000:16686"')
        bad = subprocess.run([sys.executable, script, "--deploy-dir", str(self.copy.root)],
                             capture_output=True, text=True)
        self.assertEqual(bad.returncode, 1)
        self.assertIn("FAILED", bad.stdout)
        self.assertIn("host port 3000/tcp", bad.stdout)


class EdgetracedCheckTest(unittest.TestCase):
    """The --edgetraced part, with stand-ins for the binary (the real one runs in the ctest
    deploy.check)."""

    def setUp(self) -> None:
        self.copy = BrokenCopy()
        self.addCleanup(self.copy.close)
        self._bin = tempfile.TemporaryDirectory()
        self.addCleanup(self._bin.cleanup)
        self.bin = Path(self._bin.name)

    def test_tables_the_binary_does_not_know_yet_are_skipped_and_said(self) -> None:
        binary = fake_edgetraced(self.bin, "[admin]\n[queue]\n", refuse="[store]")
        report = self.copy.check(binary)
        self.assertEqual(report.problems, [])
        self.assertEqual(len(report.skipped), 1, report.skipped)
        self.assertIn("edgetraced/edgetraced.toml", report.skipped[0])
        self.assertIn("[store], [ui] not checked", report.skipped[0])

    def test_skip_exits_77_and_prints_skipped(self) -> None:
        binary = fake_edgetraced(self.bin, "[admin]\n", refuse="[store]")
        run = subprocess.run([sys.executable, str(HERE / "check.py"), "--deploy-dir",
                              str(self.copy.root), "--edgetraced", binary],
                             capture_output=True, text=True)
        self.assertEqual(run.returncode, 77, run.stdout + run.stderr)
        self.assertIn("SKIPPED", run.stdout)

    def test_the_rest_of_a_file_with_pending_tables_is_still_checked(self) -> None:
        self.copy.replace("edgetraced/edgetraced.toml", "[telemetry]", "[telemetry]\nbogus = 1")
        binary = fake_edgetraced(self.bin, "[admin]\n", refuse="bogus")
        report = self.copy.check(binary)
        self.assertTrue(any("edgetraced/edgetraced.toml" in p and "bogus" in p
                            for p in report.problems), report.problems)

    def test_nothing_is_skipped_once_the_binary_knows_the_tables(self) -> None:
        binary = fake_edgetraced(self.bin, "[admin]\n[store]\n[ui]\n", refuse=None)
        report = self.copy.check(binary)
        self.assertEqual((report.problems, report.skipped), ([], []))

    def test_a_key_the_binary_refuses_is_reported(self) -> None:
        binary = fake_edgetraced(self.bin, "[admin]\n[store]\n[ui]\n", refuse="max_age")
        report = self.copy.check(binary)
        self.assertTrue(any("edgetraced/edgetraced.toml" in p and "max_age" in p
                            for p in report.problems), report.problems)
        self.assertEqual(report.skipped, [])

    def test_without_tables_drops_only_those_sections(self) -> None:
        text = "a = 1\n[store]\npath = 'x'\n[store.sub]\nk = 2\n[ui]\nlisten = ''\n[queue]\ndir = 'q'\n"
        self.assertEqual(check.without_tables(text, {"store", "ui"}),
                         "a = 1\n" + "\n" * 6 + "[queue]\ndir = 'q'\n")


if __name__ == "__main__":
    unittest.main(verbosity=2)
