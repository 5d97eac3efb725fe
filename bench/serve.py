"""Serve the site for a benchmark: ``python -m bench.serve --data DIR --port N`` (127.0.0.1, one uvicorn process).

The same app the ``uscm-archive serve`` command serves, ``web.app.create_app(settings)``, with uvicorn's access
log off (as a production deployment behind a proxy would run it).
"""

from __future__ import annotations

import argparse
from pathlib import Path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)

    import uvicorn

    from uscm_archive.settings import from_environment
    from web.app import create_app

    settings = from_environment(env={}, data_dir=args.data, port=args.port).with_secret()
    uvicorn.run(create_app(settings), host="127.0.0.1", port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
