"""Follows a workspace's events, printing each, with long polls; the
cursor is kept in a file so that a restart resumes where it stopped:

    SCIMD_URL=... SCIMD_APP_TOKEN=... SCIMD_WORKSPACE=acme python3 feed.py [CURSOR_FILE]

SCIMD_FEED_COUNT=N stops after N events."""

import os
import sys

import scimd


def main():
    workspace = os.environ.get("SCIMD_WORKSPACE")
    if not workspace:
        sys.exit("set SCIMD_WORKSPACE to the workspace's slug")
    cursor_file = sys.argv[1] if len(sys.argv) > 1 else "scimd-feed.cursor"
    try:
        with open(cursor_file) as f:
            cursor = int(f.read() or 0)
    except FileNotFoundError:
        cursor = 0  # no cursor yet: from the start
    left = int(os.environ.get("SCIMD_FEED_COUNT", "-1"))
    while left != 0:
        page = scimd.events(workspace, cursor)
        for e in page["events"]:
            print(e["seq"], e["type"], e.get("subject", ""), flush=True)
            # Save after handling each event: a crash handles it at most twice.
            cursor = e["seq"]
            with open(cursor_file, "w") as f:
                f.write(str(cursor))
            left -= 1
            if left == 0:
                break


if __name__ == "__main__":
    main()
