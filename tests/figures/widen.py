#!/usr/bin/env python3
"""widen.py IN.db OUT.db: a copy of an analysis database grown to 70 devices in 12 categories
talking to 30 countries, with hostile names (XML specials, a script tag, control characters,
bytes that are not UTF-8, a very long name) in every text a figure prints: the figures' test
checks that such a database still gives well-formed, renderable, readable SVG.

Every device is a copy of one device of IN (the first with traffic to public addresses), its
captures and flows copied with new ids; destinations get countries, organizations and parties
from fixed lists, so the output is the same on every run."""
import shutil
import sqlite3
import sys

src, dst = sys.argv[1], sys.argv[2]
shutil.copyfile(src, dst)
db = sqlite3.connect(dst)


def cols(table):
    return [r[1] for r in db.execute(f"PRAGMA table_info({table})")]


def copy_row(table, row_id, changes):
    names = [c for c in cols(table) if c != "id"]
    row = db.execute(f"SELECT {', '.join(names)} FROM {table} WHERE id = ?", (row_id,)).fetchone()
    values = [changes.get(n, v) for n, v in zip(names, row)]
    db.execute(f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})", values)
    return db.execute("SELECT last_insert_rowid()").fetchone()[0]


categories = ["camera", "speaker", "plug", "light", "hub", "sensor", "doorbell", "humidifier", "tv", "lock",
              "<script>alert(\"x\")</script> & co", "BADCAT"]
countries = ["CN", "US", "DE", "JP", "SG", "IE", "NL", "GB", "FR", "KR", "IN", "BR", "CA", "AU", "HK", "TW", "SE",
             "FI", "IT", "ES", "RU", "ZA", "MX", "CH", "PL", "BE", "AT", "NO", "DK", "unknown"]
parties = ["first", "support", "third"]

dev = db.execute("SELECT c.device_id FROM captures c JOIN flows f ON f.capture_id = c.id JOIN destinations t"
                 " ON t.flow_id = f.id WHERE t.country <> 'local' AND c.interception IS NULL"
                 " ORDER BY c.device_id LIMIT 1").fetchone()[0]
captures = [r[0] for r in db.execute("SELECT id FROM captures WHERE device_id = ? ORDER BY id", (dev,))]
for i in range(70):
    cat = categories[i % len(categories)]
    name = f"dev{i:02d}" if i != 5 else "a-device-with-a-name-far-too-long-for-any-label-column-" * 3
    new_dev = copy_row("devices", dev, {"name": name, "category": cat})
    for c in captures:
        new_cap = copy_row("captures", c, {"device_id": new_dev})
        flows = [r[0] for r in db.execute("SELECT id FROM flows WHERE capture_id = ? ORDER BY id", (c,))]
        for k, f in enumerate(flows):
            new_flow = copy_row("flows", f, {"capture_id": new_cap})
            for (d,) in db.execute("SELECT rowid FROM destinations WHERE flow_id = ?", (f,)).fetchall():
                names = [n for n in cols("destinations")]
                row = db.execute(f"SELECT {', '.join(names)} FROM destinations WHERE rowid = ?", (d,)).fetchone()
                row = dict(zip(names, row))
                row["flow_id"] = new_flow
                if row.get("country") != "local":
                    row["country"] = countries[(i * 7 + k) % len(countries)]
                    row["organization"] = "Org <%d> & \"Sons\"" % ((i + k) % 23)
                    row["party"] = parties[(i + k) % 3]
                db.execute(f"INSERT INTO destinations ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
                           list(row.values()))
# a category that is not UTF-8 and holds control characters, as a capture could make it
db.execute("UPDATE devices SET category = CAST(X'626164fffe2062797465730102' AS TEXT) WHERE category = 'BADCAT'")
db.commit()
