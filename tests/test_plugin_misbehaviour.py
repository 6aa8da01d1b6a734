"""A plugin loss is the user's code: whatever it does wrong is one line naming it, exit 2,
and it cannot change what the next loss reads."""

from __future__ import annotations

import numpy as np
import pytest

PLUGIN = """
import sys
import numpy as np
import losscli

@losscli.loss(name="clobber", summary="writes into its inputs", formula="l = 0")
def clobber(predictions, targets):
    predictions *= 0
    targets[:] = 1
    return np.zeros(len(predictions))

@losscli.loss(name="raises", summary="raises", formula="l = ?")
def raises(predictions, targets):
    raise ValueError("my bug")

@losscli.loss(name="exits", summary="exits", formula="l = ?")
def exits(predictions, targets):
    sys.exit(0)

@losscli.loss(name="scalar", summary="one number", formula="l = ?")
def scalar(predictions, targets):
    return float(np.mean(predictions))

@losscli.loss(name="short", summary="wrong shape", formula="l = ?")
def short(predictions, targets):
    return predictions[:-1]

@losscli.loss(name="words", summary="strings", formula="l = ?")
def words(predictions, targets):
    return np.array(["a"] * len(predictions))

@losscli.loss(name="nothing", summary="None", formula="l = ?")
def nothing(predictions, targets):
    return None

def _bad_grad(predictions, targets):
    return np.zeros(3)

@losscli.loss(name="badgrad", summary="wrong gradient shape", formula="l = (p - y)^2",
              grad=_bad_grad)
def badgrad(predictions, targets):
    return (predictions - targets) ** 2
"""


@pytest.fixture
def plugin(tmp_path):
    path = tmp_path / "mine.py"
    path.write_text(PLUGIN)
    p, y = np.array([1.0, 2.0, 4.0, 8.0]), np.array([0.5, 2.0, 3.0, 1.0])
    np.save(tmp_path / "p.npy", p)
    np.save(tmp_path / "y.npy", y)
    return path, tmp_path / "p.npy", tmp_path / "y.npy", float(np.mean((p - y) ** 2))


def test_a_loss_cannot_change_what_the_next_loss_reads(run, plugin):
    path, p, y, mse = plugin
    result = run("compute", "clobber,mse", p, y, "--plugin", path, "-o", "json")
    assert result.code == 2, result.stdout
    assert "loss 'clobber'" in result.stderr and "read-only" in result.stderr
    assert result.stdout == ""
    assert run("compute", "mse", p, y, "-o", "json").value() == pytest.approx(mse)


@pytest.mark.parametrize(
    ("loss", "said"),
    [
        ("raises", "raised ValueError: my bug"),
        ("exits", "exited"),
        ("scalar", "returned a single number"),
        ("short", "returned shape (3,)"),
        ("words", "not numbers"),
        ("nothing", "not numbers"),
    ],
)
@pytest.mark.parametrize("command", ["compute", "grad"])
def test_what_a_plugin_does_wrong_is_one_line_naming_it(run, plugin, loss, said, command):
    path, p, y, _ = plugin
    result = run(command, loss, p, y, "--plugin", path)
    assert result.code == 2, (result.stdout, result.stderr)
    assert result.stderr.count("\n") == 1
    assert f"loss '{loss}' (plugin {path})" in result.stderr and said in result.stderr
    assert "internal error" not in result.stderr and result.stdout == ""


def test_a_gradient_of_the_wrong_shape_is_named(run, plugin):
    path, p, y, _ = plugin
    result = run("grad", "badgrad", p, y, "--plugin", path)
    assert result.code == 2 and "'s grad returned shape (3,)" in result.stderr, result.stderr
