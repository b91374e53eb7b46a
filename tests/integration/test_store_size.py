"""Retention gives space back and operators can see it: the SQLite bus shrinks
after its retention prune (incremental auto-vacuum), ``yuqing status`` shows
each store's size, free space and last write, ``yuqing vacuum`` reclaims, and
``vacuum --full`` refuses while ``yuqing run`` holds the data dir."""
import subprocess
import sys
import time

from pipeline.bus import open_bus
from pipeline.bus.sqlite_log import SqliteBus
from pipeline.sqlite import file_report
from tests.kit import build_test_app, make_scored
from yuqing.cli import main


def test_bus_shrinks_after_retention_and_status_and_vacuum_report_it(tmp_path, capsys):
    app = build_test_app(tmp_path)
    root, data = str(app.config.root), app.data_dir
    app.router.handle(make_scored({"chinalife-jl": "red"}))  # something in alerts.db
    app.close()
    bus = open_bus("sqlite:///bus.db", data, retention_hours=1)
    try:
        with bus.producer() as producer:
            for i in range(3000):
                producer.send("docs.raw", b"x" * 1000, key=str(i))
        full = file_report(data / "bus.db")
        assert full["auto_vacuum"] == "incremental"
        assert isinstance(bus, SqliteBus)
        deleted = bus.prune(now=time.time() + 2 * 3600)
        assert deleted == 3000
    finally:
        bus.close()
    subprocess.run([sys.executable, "-c", "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]);"
                    "c.execute('PRAGMA wal_checkpoint(TRUNCATE)')", str(data / "bus.db")], check=True)
    after = file_report(data / "bus.db")
    assert after["bytes"] < full["bytes"] / 4, (full, after)  # the pages went back to the file system

    assert main(["status", "--config", root]) == 0
    out = capsys.readouterr().out
    assert "no `yuqing run`" in out
    for store in ("bus.db", "alerts.db"):
        line = next(x for x in out.splitlines() if x.startswith(store))
        assert "ago" in line and ("KB" in line or "MB" in line)
    assert main(["vacuum", "--config", root]) == 0
    assert "given back" in capsys.readouterr().out

    holder = subprocess.Popen([sys.executable, "-c", "import sys, time; from pathlib import Path;"
                               "from yuqing.runlock import hold; hold(Path(sys.argv[1])); print('held', flush=True);"
                               "time.sleep(60)", str(data)], stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None
    try:
        assert holder.stdout.readline().strip() == "held"
        assert main(["vacuum", "--full", "--config", root]) == 4
        assert f"pid {holder.pid}" in capsys.readouterr().err
        assert main(["status", "--config", root]) == 0
        assert f"`yuqing run` running (pid {holder.pid})" in capsys.readouterr().out
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()
    assert main(["vacuum", "--full", "--config", root]) == 0
