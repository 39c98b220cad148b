"""File peeks (what a request's files really hold) and the variable summary's values, on real files and real
pandas/numpy objects."""

import json
import time

import numpy as np
import pandas as pd

from oci_magic.notebook.peeks import READ_BYTES, file_peek, named_paths, request_peeks
from oci_magic.notebook.summary import describe_value, namespace_summary


def test_a_semicolon_csv_with_decimal_commas_is_described_as_it_is(tmp_path):
    (tmp_path / "costs.csv").write_text("dept;cost\nIT;1250,50\nHR;830,25\n", encoding="utf-8")
    peek = request_peeks("Load costs.csv and total the cost", tmp_path)
    assert peek.startswith("costs.csv: text, ")
    assert "separated by ';'" in peek and "decimal comma" in peek and "header: dept, cost" in peek
    assert "  IT;1250,50" in peek  # the first lines themselves
    assert pd.read_csv(tmp_path / "costs.csv", sep=";", decimal=",")["cost"].sum() == 2080.75  # it is right


def test_comment_lines_title_lines_and_tabs_are_said(tmp_path):
    (tmp_path / "log.csv").write_text("# station 7\n# celsius\nt,temp\n1,2.5\n", encoding="utf-8")
    (tmp_path / "report.csv").write_text("Report\nMade today\n\na,b\n1,2\n3,4\n", encoding="utf-8")
    (tmp_path / "m.txt").write_text("x\ty\n1\t2\n3\t4\n", encoding="utf-8")
    assert "2 comment lines starting with '#'" in file_peek(tmp_path / "log.csv")
    assert "header is line 4 of the file (3 lines before it)" in file_peek(tmp_path / "report.csv")
    assert "separated by tab; header: x, y" in file_peek(tmp_path / "m.txt")


def test_a_file_not_in_utf8_is_flagged_with_the_encoding_that_reads_it(tmp_path):
    (tmp_path / "fr.csv").write_bytes("nom,ville\nZoé,Orléans\n".encode("latin-1"))
    peek = file_peek(tmp_path / "fr.csv")
    assert "not UTF-8 (decodes as cp1252)" in peek and "Zoé,Orléans" in peek


def test_json_shows_its_structure_and_one_record(tmp_path):
    document = {"exported": "2024-06-01", "data": [{"id": i, "item": {"sku": "A"}} for i in range(40)]}
    (tmp_path / "orders.json").write_text(json.dumps(document), encoding="utf-8")
    peek = file_peek(tmp_path / "orders.json")
    assert '"data": list of 40, first item: {"id": 0, "item": {"sku": "A"}}' in peek
    assert '"exported": "2024-06-01"' in peek


def test_binary_files_are_named_by_type_and_size(tmp_path):
    (tmp_path / "plot.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(3000))
    (tmp_path / "blob.bin").write_bytes(b"\x00\x01\x02" * 100)
    assert file_peek(tmp_path / "plot.png") == "PNG image, 2.9 kB"
    assert file_peek(tmp_path / "blob.bin") == "binary file, 300 bytes"


def test_a_huge_file_is_read_only_at_its_start(tmp_path):
    path = tmp_path / "big.csv"
    with path.open("w") as handle:
        handle.write("a,b\n")
        for _ in range(200):
            handle.write("1,2\n" * 5000)  # 4 MB
    started = time.perf_counter()
    peek = file_peek(path, limit=700)
    took = time.perf_counter() - started
    assert "text, 3.8 MB; separated by ','; header: a, b" in peek and len(peek) <= 700
    print(
        f"peek of a {path.stat().st_size / 2**20:.1f} MiB file: {1000 * took:.1f} ms, {READ_BYTES} bytes read"
    )


def test_only_existing_files_are_peeked_and_a_vanished_one_is_skipped(tmp_path, monkeypatch):
    (tmp_path / "a.csv").write_text("x\n1\n", encoding="utf-8")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "b.csv").write_text("y\n2\n", encoding="utf-8")
    request = "merge a.csv with data/b.csv and save to out.csv (see `data/`)"
    assert named_paths(request, tmp_path) == [tmp_path / "a.csv", tmp_path / "data/b.csv", tmp_path / "data"]
    peeks = request_peeks(request, tmp_path)
    assert (
        "a.csv: text" in peeks and "data/b.csv: text" in peeks and "data: folder of 1 entries: b.csv" in peeks
    )
    assert "out.csv" not in peeks
    # A file that goes between finding it and reading it is left out, not an error.
    import oci_magic.notebook.peeks as peeks_module

    real = peeks_module.named_paths
    with_gone = lambda text, folder: [*real(text, folder), tmp_path / "gone.csv"]  # noqa: E731
    monkeypatch.setattr(peeks_module, "named_paths", with_gone)
    assert request_peeks(request, tmp_path) == peeks


def test_peeks_keep_to_their_budget(tmp_path):
    names = []
    for index in range(20):
        (tmp_path / f"f{index}.csv").write_text("a,b\n" + "1,2\n" * 50, encoding="utf-8")
        names.append(f"f{index}.csv")
    peeks = request_peeks("load " + " ".join(names), tmp_path, limit=1000)
    assert len(peeks) <= 1000 and peeks.startswith("f0.csv:")


def test_the_summary_shows_small_values_and_first_rows():
    namespace = {
        "scores": {"ann": [71, 80], "bob": [88, 90]},
        "df": pd.DataFrame({"when": pd.to_datetime(["2024-01-01", "2024-01-02"]), "n": [1, 2]}),
        "x": np.arange(10.0),
        "big": list(range(10**6)),
    }
    summary = namespace_summary(namespace)
    assert "- scores: dict of 2: {'ann': [71, 80], 'bob': [88, 90]}" in summary
    assert "- df: DataFrame 2×2 columns: 'when' datetime64[" in summary and "0 2024-01-01  1" in summary
    assert "- x: ndarray 10 dtype=float64, first values: 0.0, 1.0, 2.0, 3.0, 4.0" in summary
    assert "- big: list of 1000000: [0, 1, 2, 3, 4, 5, 6, 7, ...]" in summary


def test_a_series_shows_its_index_when_it_holds_data():
    daily = pd.Series(range(31), index=pd.date_range("2024-01-01", periods=31, name="date"))
    described = describe_value(daily)
    assert ", index 'date': DatetimeIndex 2024-01-01 … 2024-01-31, first values: 0, 1" in described
    assert "index" not in describe_value(pd.Series([1.5, 2.5]))  # 0, 1, 2... says nothing


TRAPS = {  # file text -> the frame it holds
    "log.csv": ("# station 7\n# celsius\nt,temp\n1,2.5\n2,3.5\n", {"t": [1, 2], "temp": [2.5, 3.5]}),
    "report.csv": ("Report\nMade today\n\na,b\n1,2\n3,4\n", {"a": [1, 3], "b": [2, 4]}),
    "m.txt": ("x\ty\n1\t2\n3\t4\n", {"x": [1, 3], "y": [2, 4]}),
    "prices.csv": ('p,price\na,"1,200.50"\nb,"899.00"\n', {"p": ["a", "b"], "price": [1200.5, 899.0]}),
    "eu.csv": ("a;b\nx;1.200,50\ny;3,25\n", {"a": ["x", "y"], "b": [1200.5, 3.25]}),
    "notes.csv": ("# note\nitem,tag\npen,#1\ncup,#2\n", {"item": ["pen", "cup"], "tag": ["#1", "#2"]}),
}  # fmt: skip


def test_a_table_pandas_would_misread_comes_with_the_call_that_reads_it(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name, (text, frame) in TRAPS.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
        peek = request_peeks(f"Load {name} please", tmp_path)
        call = peek.rsplit("read it with: ", 1)[1]
        read = eval(call, {"pd": pd})  # the suggestion itself, run
        pd.testing.assert_frame_equal(read, pd.DataFrame(frame), check_dtype=False, obj=call)
    (tmp_path / "fr.csv").write_bytes("nom,ville\nZoé,Orléans\n".encode("latin-1"))
    call = file_peek(tmp_path / "fr.csv", name="fr.csv").rsplit("read it with: ", 1)[1]
    assert eval(call, {"pd": pd})["ville"].tolist() == ["Orléans"]
    (tmp_path / "plain.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    assert "read it with" not in file_peek(tmp_path / "plain.csv")  # pandas' defaults read it
    long = "Title\n\n" + "a,b\n" + "".join(f"{i},{'x' * 150}\n" for i in range(30))
    (tmp_path / "long.csv").write_text(long, encoding="utf-8")
    peek = file_peek(tmp_path / "long.csv", limit=300, name="data/long.csv")
    assert len(peek) <= 300 and peek.endswith("read it with: pd.read_csv('data/long.csv', skiprows=2)")


def test_json_records_under_a_key_or_nested_come_with_the_call_that_flattens_them(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    orders = {"exported": "x", "data": [{"id": 1, "item": {"sku": "A", "price": 2.5}, "qty": 2}]}
    (tmp_path / "orders.json").write_text(json.dumps(orders), encoding="utf-8")
    peek = request_peeks("orders.json holds our orders", tmp_path)
    call = peek.rsplit("read it with: ", 1)[1]
    assert call.endswith("(nested fields become columns such as 'item.sku')")
    scope = {"pd": pd}
    exec(call.split(" (nested")[0], scope)  # pandas alone: nothing else to import
    frame = scope["orders"]
    assert list(frame.columns) == ["id", "qty", "item.sku", "item.price"] and frame[
        "item.price"
    ].tolist() == [2.5]
    (tmp_path / "nested.json").write_text(json.dumps([{"a": {"b": 1}}, {"a": {"b": 2}}]), encoding="utf-8")
    call = file_peek(tmp_path / "nested.json").rsplit("read it with: ", 1)[1].split(" (nested")[0]
    exec(call, scope)
    assert scope["nested"]["a.b"].tolist() == [1, 2]
    (tmp_path / "flat.json").write_text(json.dumps([{"a": 1}, {"a": 2}]), encoding="utf-8")
    assert "read it with" not in file_peek(tmp_path / "flat.json")  # pd.read_json reads it
