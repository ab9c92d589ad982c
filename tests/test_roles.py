"""The report finds backends and ops by what the catalogue says of them (a backend's role,
the lesson's op), never by name: a backend or op added through the registration is
spoken of like the others, and reports/ names none of them in code."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import kernels
from bench import records
from reports import style
from reports.load import ResultFileError, newest_result, read_result
from vbschema import Catalogue
from vbschema.fields import Where

ROOT = Path(__file__).resolve().parents[1]
COMMITTED = newest_result(ROOT / "reports" / "results")  # the committed full run


def test_reports_code_names_no_backend_and_no_op():
    names = "|".join(re.escape(name) for name in [*kernels.BACKENDS, *kernels.OPS])
    quoted = re.compile(rf"[\"']({names})[\"']")
    code = [
        path
        for pattern in ("*.py", "*.j2")
        for path in (ROOT / "reports").rglob(pattern)
        if "results" not in path.relative_to(ROOT / "reports").parts
    ]
    assert len(code) > 40  # the search looked at the report's code
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in code
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if quoted.search(line)
    ]
    assert not found, "\n".join(found)


def test_the_catalogue_records_each_backends_role_and_the_lessons_op():
    catalogue = records.catalogue()
    roles = {name: entry["role"] for name, entry in catalogue["backends"].items()}
    assert set(roles.values()) <= set(style.ROLES)
    for part in (style.LOOP, style.REFERENCE, style.COMPILED, style.COMPILED_PARALLEL):
        assert list(roles.values()).count(part) == 1, part
    for entry in catalogue["backends"].values():
        if entry["role"] == style.VARIANT:
            assert entry["variant_of"] in catalogue["backends"]
    assert [name for name, op in catalogue["ops"].items() if op["lesson"]] == [
        next(iter(kernels.OPS))
    ]


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"role": "fastest"}, "role must be one of loop, reference"),
        ({"role": "variant"}, "a variant, and only one, names variant_of"),
        ({"variant_of": "numpy"}, "a variant, and only one, names variant_of"),
    ],
)
def test_a_backend_spec_with_an_unknown_role_is_refused(fields, problem):
    with pytest.raises(ValueError, match=problem):
        kernels.BackendSpec("odd", "kernels.numpy_vectorized", "", "Odd", "#000000", **fields)


def test_a_file_written_before_roles_is_given_the_roles_kernels_now_records(tmp_path):
    """The migration (``vbschema.run._with_roles``) reads the committed run, as it would have
    been written before roles (its roles and lesson mark taken out), exactly as the
    catalogue now describes each of its backends and its ops."""
    data = json.loads(COMMITTED.read_text(encoding="utf-8"))
    catalogue = data["machine_info"]["vectorbench"]["catalogue"]
    for entry in catalogue["backends"].values():
        entry.pop("role", None)
        entry.pop("variant_of", None)
    for entry in catalogue["ops"].values():
        entry.pop("lesson", None)
    older = tmp_path / COMMITTED.name
    older.write_text(json.dumps(data), encoding="utf-8")
    run = read_result(older)
    now = records.catalogue()
    for name, entry in run.catalogue["backends"].items():
        if entry.get("in_lesson") is False:
            continue  # the BLAS ladder's steps came with roles: no older file has them
        expected = now["backends"][name]
        assert (entry["role"], entry.get("variant_of", "")) == (
            expected["role"],
            expected["variant_of"],
        ), name
    lesson = [name for name, op in run.catalogue["ops"].items() if op["lesson"]]
    assert lesson == [name for name, op in now["ops"].items() if op["lesson"]]


def test_a_file_naming_an_unknown_role_is_refused_in_one_line(tmp_path):
    catalogue = records.catalogue()
    name = next(iter(catalogue["backends"]))
    catalogue["backends"][name]["role"] = "fastest"
    where = tmp_path / "odd.json"
    with pytest.raises(ResultFileError) as error:
        Catalogue.parse(Where(where, "machine_info.vectorbench.catalogue"), catalogue)
    assert str(error.value) == (
        f"{where}: machine_info.vectorbench.catalogue.backends.{name}: 'role' is 'fastest', "
        f"not one of {', '.join(style.ROLES)}"
    )
