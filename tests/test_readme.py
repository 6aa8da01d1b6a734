"""The README is the user's manual: its examples run and its generated parts are current."""

from __future__ import annotations

import doctest
import os
import shutil

import pytest
from readme_examples import README, ROOT, examples, normalise, run_all

from losscli import docs

TEXT = README.read_text()
EXAMPLES = examples(TEXT)


def test_the_readme_has_examples_of_every_command():
    commands = " ".join(e.command for e in EXAMPLES)
    for command in ("compute", "check", "compare", "list", "info"):
        assert f"losscli {command}" in commands


def test_every_console_example_prints_what_the_readme_shows():
    outputs = run_all(EXAMPLES)
    for example, (output, _) in zip(EXAMPLES, outputs):
        assert normalise(output) == normalise(example.shown), (
            f"$ {example.command}\n(run `python tests/readme_examples.py --update` after a "
            "deliberate change)"
        )


def test_every_file_an_example_names_exists():
    written = set()  # baselines that an earlier example records
    for example in EXAMPLES:
        words = example.command.split()
        if "--update-baseline" in words and "--baseline" in words:
            written.add(words[words.index("--baseline") + 1])
        for word in words:
            if word.startswith("sample_data/") and not word.endswith("/") and word not in written:
                assert (ROOT / word).exists(), f"{word} in: $ {example.command}"


@pytest.mark.parametrize("section", sorted(docs.SECTIONS))
def test_generated_sections_match_the_code(section):
    committed = docs.section_text(TEXT, section)
    assert committed == docs.SECTIONS[section](), (
        f"the README's '{section}' section is stale: run `python -m losscli.docs --write`"
    )


def test_python_examples_run_and_print_what_they_show(tmp_path):
    shutil.copytree(ROOT / "sample_data", tmp_path / "sample_data")
    parser = doctest.DocTestParser()
    blocks = docs.pycon_blocks(TEXT)
    assert blocks, "the README has no Python examples"
    here = os.getcwd()
    os.chdir(tmp_path)
    try:
        # One session, as a reader would type the blocks one after the other.
        test = parser.get_doctest("\n".join(blocks), {}, "README Python API", "README.md", 0)
        runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
        runner.run(test)
        assert runner.summarize(verbose=False).failed == 0
    finally:
        os.chdir(here)
