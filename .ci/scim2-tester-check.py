"""Runs scim2-tester's check_server against a SCIM server and prints one line per check.

Usage: scim2-tester-check.py URL TOKEN   (URL is the SCIM base, e.g. http://127.0.0.1:8080/scim/v2)

A check passes when scim2-tester rates it SUCCESS, COMPLIANT or ACCEPTABLE (the RFC's MUST,
SHOULD or MAY is met), fails when it is DEVIATION, ERROR or CRITICAL; SKIPPED is counted apart.
The last line is `N passed, M failed, K skipped`; the exit code is 1 when anything failed.
"""

import sys

import httpx2
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import Status
from scim2_tester import check_server

PASSED = {Status.SUCCESS, Status.COMPLIANT, Status.ACCEPTABLE}


def main() -> int:
    if len(sys.argv) != 3:
        print("usage: scim2-tester-check.py URL TOKEN", file=sys.stderr)
        return 2
    url, token = sys.argv[1], sys.argv[2]
    http = httpx2.Client(
        base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=30
    )
    results = check_server(SyncSCIMClient(http))
    passed = failed = skipped = 0
    for result in results:
        where = f"{result.resource_type} " if result.resource_type else ""
        line = f"{result.status.name:<10} {where}{result.title}"
        if result.status in PASSED:
            passed += 1
        elif result.status == Status.SKIPPED:
            skipped += 1
        else:
            failed += 1
            line += f": {result.reason}"
            if result.data is not None:
                line += f"\n           data: {result.data!r}"
        print(line.replace(token, "<token>"))
    print(f"{passed} passed, {failed} failed, {skipped} skipped")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
