"""Asks scimd whether an API key or session token is valid, and prints
whose it is:

    SCIMD_URL=http://127.0.0.1:8080 SCIMD_APP_TOKEN=scimd_app_... python3 verify.py scimd_key_...

Exits 0 for a valid credential, 1 for one that is not, 2 when scimd
cannot say."""

import sys

import scimd


def main():
    if len(sys.argv) != 2:
        print("usage: python3 verify.py KEY", file=sys.stderr)
        return 2
    try:
        v = scimd.verify(sys.argv[1])
    except Exception as e:  # the network, or an error answer
        print(e, file=sys.stderr)
        return 2
    if not v["valid"]:
        print("not valid:", v["reason"])
        return 1
    u = v["user"]
    print(f"valid: {u['user_name']} ({u['id']}), roles [{' '.join(u['roles'])}], groups [{' '.join(u['groups'])}]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
