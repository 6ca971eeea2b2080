"""compose writes the snapshot and its provenance both or neither."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "tests" / "fixtures" / "compose" / "compose.yaml"


def test_compose_writes_nothing_when_the_provenance_cannot_be_written(cli, tmp_path: Path):
    out = tmp_path / "snapshot.json"
    run = cli("compose", str(CONFIG), "-o", str(out), "--provenance",
              str(tmp_path / "missing" / "p.json"))
    assert run.code == 2, run.stderr
    assert run.stderr.strip().splitlines()[-1].startswith("almguard: error: ")
    assert "does not exist" in run.stderr
    assert not out.exists()


def test_compose_refuses_to_write_over_its_config(cli, tmp_path: Path):
    config = tmp_path / "compose.yaml"
    config.write_bytes(CONFIG.read_bytes())
    run = cli("compose", str(config), "-o", str(config))
    assert run.code == 2 and "would replace the input CONFIG" in run.stderr, run.stderr
    assert config.read_bytes() == CONFIG.read_bytes()
