"""The package type-checks: public functions are typed and mypy finds nothing."""

from __future__ import annotations

from conftest import ROOT


def test_mypy_finds_no_errors():
    from mypy import api

    out, err, status = api.run(
        [
            "--config-file",
            str(ROOT / "pyproject.toml"),
            "--cache-dir",
            "/dev/null",
            str(ROOT / "losscli"),
        ]
    )
    assert status == 0, out + err
