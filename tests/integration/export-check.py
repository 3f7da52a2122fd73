#!/usr/bin/env python3
"""export-check.py DOCS DB... : every column every export writes is documented, and NULL and the
empty text are written the one documented way (issue 17). For each export (the names
`ciot-report --columns --format csv` lists) and database: the CSV header and every JSON key are
columns of the export's table in DOCS (docs/exports.md, with a meaning), in the same order; and
cell by cell an unquoted empty CSV field is JSON null, a quoted "" is JSON "". Prints one line per
problem and exits 1 when there is any. $CIOT_REPORT is the tool."""
import csv
import io
import json
import os
import re
import subprocess
import sys

report = os.environ["CIOT_REPORT"]


def documented(path):
    """{export: [column, ...]} from the Markdown document's sections and tables."""
    docs, name = {}, None
    for line in open(path, encoding="utf-8"):
        m = re.match(r"^## (\S+)$", line)
        if m:
            name = m.group(1)
            docs[name] = []
            continue
        cells = [c.strip() for c in line.strip().strip("|").split(" | ")]
        if name and line.startswith("| ") and len(cells) == 3 and cells[0] != "column" and cells[2]:
            docs[name].append(cells[0])
    return docs


def csv_cells(text):
    """Rows of (text, quoted) cells of RFC 4180 CSV, telling "" from an empty field."""
    rows, row, cell, quoted, i = [], [], "", False, 0
    while i < len(text):
        ch = text[i]
        if ch == '"' and not cell and not quoted:
            j = i + 1
            while True:
                k = text.index('"', j)
                if text[k + 1:k + 2] == '"':
                    cell += text[j:k] + '"'
                    j = k + 2
                    continue
                cell += text[j:k]
                i = k + 1
                break
            quoted = True
            continue
        if ch in ",\n":
            row.append((cell, quoted))
            cell, quoted = "", False
            if ch == "\n":
                rows.append(row)
                row = []
        else:
            cell += ch
        i += 1
    return rows


def run(*args):
    return subprocess.run([report, *args], check=True, capture_output=True).stdout.decode("utf-8")


def main():
    docs = documented(sys.argv[1])
    exports = [r["export"] for r in csv.DictReader(io.StringIO(run("--columns", "--format", "csv")))]
    exports = list(dict.fromkeys(exports))
    problems = 0

    def problem(msg):
        nonlocal problems
        problems += 1
        print("FAIL: " + msg)

    for name in exports:
        if name not in docs:
            problem(f"{name}: no section in the documentation")
            continue
        for db in sys.argv[2:]:
            where = f"{name} on {os.path.basename(db)}"
            rows = csv_cells(run(db, name))
            header = [c for c, _ in rows[0]]
            if header != docs[name]:
                problem(f"{where}: CSV columns {header}, documented {docs[name]}")
            objects = json.loads(run(db, name, "--format", "json"))
            if len(objects) != len(rows) - 1:
                problem(f"{where}: {len(rows) - 1} CSV rows, {len(objects)} JSON objects")
            for obj, row in zip(objects, rows[1:]):
                if list(obj) != [k for k in docs[name] if k in obj]:
                    problem(f"{where}: JSON keys {list(obj)} not documented in order")
                for key, (text, quoted) in zip(header, row):
                    value = obj.get(key, text)
                    if (value is None) != (text == "" and not quoted) or (value == "") != (text == "" and quoted):
                        problem(f"{where}: {key}: CSV {'quoted ' if quoted else ''}{text!r}, JSON {value!r}")
            print(f"ok: {where}: {len(rows) - 1} rows, every column documented, NULL and \"\" apart")
    return 1 if problems else 0


sys.exit(main())
