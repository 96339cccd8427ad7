"""moto's server (with Step Functions executing) in a process of its own, for the driver's ``--moto-process``.

Usage: python bench/_moto_child.py --project DIR --lambda-url URL

Serves ``governed_assistant.local.moto_server``'s application (the project's copy) on a free loopback
port, prints the port on stdout, and serves until its standard input closes. An experiment: it
shows what the API's latency becomes when moto's interpreter does not share the API's GIL.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--project", type=Path, required=True)
    parser.add_argument("--lambda-url", required=True)
    parser.add_argument("--cache-jsonpath", action="store_true")
    args = parser.parse_args()
    sys.path[0:1] = [str(args.project.resolve()), str(Path(__file__).resolve().parent.parent / "components")]
    logging.getLogger("moto").setLevel(logging.CRITICAL)
    if args.cache_jsonpath:
        import functools

        import jsonpath_ng
        import jsonpath_ng.ext

        jsonpath_ng.parse = functools.lru_cache(maxsize=1024)(jsonpath_ng.parse)
        jsonpath_ng.ext.parse = functools.lru_cache(maxsize=1024)(jsonpath_ng.ext.parse)
    from governed_assistant.local.moto_server import start_moto_server
    from governed_assistant.local.servers import Listen
    from governed_assistant.wire import ENV_LOCAL_MOTO_PORT

    server = start_moto_server(Listen("moto server", 0, "--moto-port", ENV_LOCAL_MOTO_PORT), args.lambda_url)
    # moto's interpreter sends Lambda tasks to localhost:$MOTO_PORT, read in this process.
    os.environ["MOTO_PORT"] = str(server.port)
    print(server.port, flush=True)
    sys.stdin.read()
    server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
