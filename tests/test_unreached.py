"""scripts/unreached.py: the functions of a package that a coverage run never entered."""
from __future__ import annotations

import importlib.util
import sys

import coverage

from tests.datapaths import REPO

_MODULE = '''
def used():
    return 1


def unused():
    return 2


class Box:
    def used(self):
        return 3

    def unused(self):
        def inner():
            return 4
        return inner()

    def documented_only(self):
        """Nothing to run."""
'''


def _script():
    spec = importlib.util.spec_from_file_location("unreached", REPO / "scripts" / "unreached.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("unreached", module)  # its dataclass looks its module up
    spec.loader.exec_module(module)
    return module


def test_lists_the_functions_no_line_of_which_ran(tmp_path):
    (tmp_path / "m_unreached.py").write_text(_MODULE, encoding="utf-8")
    data = tmp_path / ".coverage"
    cov = coverage.Coverage(data_file=str(data), source=[str(tmp_path)])
    sys.path.insert(0, str(tmp_path))
    try:
        cov.start()
        import m_unreached
        m_unreached.used(), m_unreached.Box().used()
        cov.stop()
        cov.save()
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("m_unreached", None)
    total, missed = _script().unreached(data, [tmp_path])
    assert total == 5
    assert [(fn.line, fn.name) for fn in missed] == [(6, "unused"), (14, "Box.unused"), (15, "Box.unused.inner")]


def test_no_data_file_is_a_one_line_error(tmp_path, capsys):
    assert _script().main(["--data", str(tmp_path / "none")]) == 2
    assert capsys.readouterr().err.startswith(f"error: {tmp_path / 'none'}: no coverage data file")
