"""`claimdb log …` and `claimdb witness …`: keys, checkpoints, verifying the log, running a witness."""

from __future__ import annotations

import argparse
import base64
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from api import tlog_verify

PAGE = 500


class LogCheckFailed(Exception):
    """A check of `claimdb log verify` failed; the message names it."""


def _key_text(value: str) -> str:
    """A verifier key given as itself, or as the path of a file that holds it."""
    path = Path(value)
    return path.read_text().strip() if path.is_file() else value.strip()


def _verifier(value: str, what: str) -> tlog_verify.Verifier:
    try:
        return tlog_verify.parse_verifier_key(_key_text(value))
    except tlog_verify.VerificationError as error:
        raise SystemExit(f"claimdb: {what}: {error}") from None


# ---- claimdb log keygen / checkpoint -------------------------------------------------------------------------


def cmd_keygen(args: argparse.Namespace) -> int:
    from api.services import transparency
    from api.settings import get_settings

    settings = get_settings()
    name = args.name or settings.log_origin or transparency.default_origin(settings.public_base_url)
    key = transparency.generate_key(name, args.key_type)
    try:
        transparency.write_key_file(Path(args.file), key)
    except FileExistsError:
        print(f"claimdb: {args.file} exists; a key is never overwritten", file=sys.stderr)
        return 2
    print(key.verifier.vkey)
    return 0


def cmd_checkpoint(_args: argparse.Namespace) -> int:
    from api.cli import _database
    from api.services import transparency
    from api.settings import get_settings

    log = transparency.Log.from_settings(get_settings())
    if log is None:
        print(
            "claimdb: no signing key: set CLAIMDB_LOG_KEY_FILE (made with `claimdb log keygen FILE`)", file=sys.stderr
        )
        return 2
    database = _database()
    try:
        publication = transparency.publish(database, log)
    except transparency.LogInconsistent as error:
        print(f"claimdb: {error.detail}", file=sys.stderr)
        return 1
    finally:
        database.dispose()
    sys.stdout.write(publication.checkpoint)
    print(
        "signed a new checkpoint" if publication.signed else "the tree has not changed since the last checkpoint",
        file=sys.stderr,
    )
    for url in publication.cosigned_by:
        print(f"cosigned by {url}", file=sys.stderr)
    for refusal in publication.refusals:
        print(f"not cosigned: {refusal}", file=sys.stderr)
    return 1 if publication.refusals else 0


# ---- claimdb log verify ------------------------------------------------------------------------------------------


def _check_old(old: tlog_verify.Checkpoint, size: int, root: bytes, proof: list[bytes] | None) -> None:
    if size < old.size:
        raise LogCheckFailed(
            f"the log has {size} events, fewer than the {old.size} of the checkpoint: events were removed"
        )
    if old.size == 0:
        return
    try:
        tlog_verify.verify_consistency(old.size, size, proof or [], old.root, root)
    except tlog_verify.VerificationError as error:
        raise LogCheckFailed(
            f"the log of {size} events is not consistent with the checkpoint of {old.size}: {error}"
        ) from None


def _verify_database(old: tlog_verify.Checkpoint) -> list[str]:
    from api.cli import _database
    from api.services import ledger, merkle

    database = _database()
    try:
        with database.transaction(write=False) as session:
            checked = ledger.verify(session)
            if not checked["ok"]:
                raise LogCheckFailed(f"the tree does not hold the events: {checked['reason']}")
            size = merkle.tree_size(session)
            root = merkle.root(session, size)
            proof = merkle.consistency_proof(session, old.size, size) if 0 < old.size <= size else None
    finally:
        database.dispose()
    _check_old(old, size, root, proof)
    return [
        f"database: {size} events, each hashes to its leaf, and the stored tree is exactly theirs",
        f"consistent: the tree of {size} events extends the checkpoint of {old.size}",
    ]


class _Server:
    def __init__(self, url: str, api_key: str | None) -> None:
        self.url = url.rstrip("/")
        self.headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}

    def get(self, path: str, **params: Any) -> bytes:
        query = f"?{urllib.parse.urlencode(params)}" if params else ""
        request = urllib.request.Request(f"{self.url}{path}{query}", headers=self.headers)  # noqa: S310 - the user's URL
        try:
            with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
                return bytes(response.read())
        except urllib.error.HTTPError as error:
            raise LogCheckFailed(
                f"GET {path} answered {error.code}: {error.read()[:300].decode(errors='replace')}"
            ) from None
        except (urllib.error.URLError, OSError) as error:
            raise LogCheckFailed(f"{self.url} cannot be reached: {error}") from None

    def json(self, path: str, **params: Any) -> Any:
        return json.loads(self.get(path, **params))


def _verify_server(server: _Server, log: tlog_verify.Verifier, old: tlog_verify.Checkpoint) -> list[str]:
    try:
        current, _note = tlog_verify.open_checkpoint(server.get("/v1/audit/checkpoint"), log)
    except tlog_verify.VerificationError as error:
        raise LogCheckFailed(f"the server's checkpoint does not verify: {error}") from None
    if current.origin != old.origin:
        raise LogCheckFailed(f"the server's checkpoint is for {current.origin!r}, not {old.origin!r}")
    proof = None
    if 0 < old.size < current.size:
        answer = server.json("/v1/audit/proof/consistency", **{"from": old.size, "to": current.size})
        proof = [bytes.fromhex(node) for node in answer["hashes"]]
    _check_old(old, current.size, current.root, proof)
    builder = tlog_verify.TreeBuilder()
    cursor: str | None = None
    refetched = 0
    while builder.size < current.size:
        page = server.json("/v1/audit", limit=PAGE, **({"cursor": cursor} if cursor else {}))
        for event in page["items"]:
            if event["seq"] > current.size:
                break
            if event["seq"] != builder.size + 1:
                raise LogCheckFailed(f"the server's ledger skips from event {builder.size} to {event['seq']}")
            leaf = tlog_verify.event_leaf(event)
            if tlog_verify.leaf_hash(leaf).hex() != event["leaf_hash"]:
                # Encoders may write a number differently (see event_leaf): compare the server's own leaf by value.
                served = server.json(f"/v1/audit/events/{event['seq']}")
                leaf = base64.b64decode(served["leaf"])
                refetched += 1
            try:
                tlog_verify.check_event_leaf(event, leaf)
            except tlog_verify.VerificationError as error:
                raise LogCheckFailed(str(error)) from None
            builder.append(tlog_verify.leaf_hash(leaf))
        cursor = page["next_cursor"]
        if cursor is None:
            break
    if builder.size != current.size:
        raise LogCheckFailed(f"the server shows {builder.size} events, not the {current.size} its checkpoint signs")
    if builder.root() != current.root:
        raise LogCheckFailed("the events the server shows do not hash to its checkpoint's root")
    return [
        f"server: checkpoint of {current.size} events signed by {log.name}",
        f"server: its {current.size} events each hash to their leaf and to the checkpoint's root"
        + (f" ({refetched} compared by value with the served leaf)" if refetched else ""),
        f"consistent: the log of {current.size} events extends the checkpoint of {old.size}",
    ]


def cmd_verify(args: argparse.Namespace) -> int:
    log = _verifier(args.vkey, "--vkey")
    witnesses = [_verifier(value, "--witness") for value in args.witness]
    try:
        message = Path(args.checkpoint).read_bytes()
    except OSError as error:
        print(f"claimdb: {error}", file=sys.stderr)
        return 2
    try:
        try:
            old, note = tlog_verify.open_checkpoint(message, log, witnesses)
        except tlog_verify.VerificationError as error:
            raise LogCheckFailed(f"{args.checkpoint} does not verify: {error}") from None
        cosigners = [name for name in note.cosigned_at]
        lines = [
            f"{args.checkpoint}: {old.origin}, {old.size} events, signed by {log.name}"
            + (f", cosigned by {', '.join(cosigners)}" if cosigners else "")
        ]
        if args.url:
            lines += _verify_server(_Server(args.url, args.api_key or os.environ.get("CLAIMDB_API_KEY")), log, old)
        else:
            lines += _verify_database(old)
    except LogCheckFailed as error:
        print(f"log verify FAILED: {error}", file=sys.stderr)
        return 1
    print("\n".join(lines))
    print("log verify ok")
    return 0


# ---- claimdb witness serve -----------------------------------------------------------------------------------------


def cmd_witness_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from api.services import transparency
    from api.witness import Witness, WitnessState, create_witness_app

    try:
        key = transparency.read_key_file(Path(args.key), tlog_verify.COSIGNATURE_ED25519)
    except ValueError as error:
        print(f"claimdb: {error}", file=sys.stderr)
        return 2
    logs = [_verifier(value, "--log") for value in args.log]
    if any(log.key_type != tlog_verify.ED25519 for log in logs):
        print("claimdb: --log takes a log's verifier key (type 0x01)", file=sys.stderr)
        return 2
    witness = Witness(key, logs, WitnessState(Path(args.state)))
    print(f"witness {key.verifier.vkey} for {', '.join(log.name for log in logs)}", file=sys.stderr, flush=True)
    uvicorn.run(create_witness_app(witness), host=args.host, port=args.port, log_level="warning")
    return 0


def add_commands(commands: Any) -> None:
    """Register `log` and `witness` on the `claimdb` parser's subcommands."""
    log = commands.add_parser("log", help="the ledger as a transparency log: keys, checkpoints, verification")
    log_commands = log.add_subparsers(dest="log_command", required=True)
    keygen = log_commands.add_parser("keygen", help="make the checkpoint signing key in FILE; print its verifier key")
    keygen.add_argument("file")
    keygen.add_argument("--name", help="the key's name, the log's origin (default: CLAIMDB_LOG_ORIGIN or derived)")
    keygen.set_defaults(handler=cmd_keygen, key_type=tlog_verify.ED25519)
    log_commands.add_parser(
        "checkpoint", help="sign a checkpoint of the ledger now and push it to the witnesses; print it"
    ).set_defaults(handler=cmd_checkpoint)
    verify = log_commands.add_parser(
        "verify", help="check the ledger against a checkpoint signed before; exit 1 naming what fails"
    )
    verify.add_argument("--vkey", required=True, help="the log's verifier key (or a file holding it)")
    verify.add_argument("--checkpoint", required=True, help="a checkpoint saved earlier (a witnessed one is best)")
    verify.add_argument("--url", help="check a claimdb server at this URL instead of the configured database")
    verify.add_argument("--api-key", help="a key to read the server's ledger with (default: CLAIMDB_API_KEY)")
    verify.add_argument(
        "--witness", action="append", default=[], help="a witness's verifier key the checkpoint must be cosigned by"
    )
    verify.set_defaults(handler=cmd_verify)

    witness = commands.add_parser("witness", help="a tlog-witness that cosigns consistent checkpoints")
    witness_commands = witness.add_subparsers(dest="witness_command", required=True)
    witness_keygen = witness_commands.add_parser("keygen", help="make a witness's cosigning key; print its vkey")
    witness_keygen.add_argument("file")
    witness_keygen.add_argument("--name", required=True, help="the witness's name, e.g. witness.example/w1")
    witness_keygen.set_defaults(handler=cmd_keygen, key_type=tlog_verify.COSIGNATURE_ED25519)
    serve = witness_commands.add_parser("serve", help="serve tlog-witness add-checkpoint")
    serve.add_argument("--key", required=True, help="the witness's cosigning key file")
    serve.add_argument("--log", action="append", required=True, help="a log's verifier key (or file); repeatable")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8080)
    serve.add_argument("--state", default="witness.sqlite3", help="its SQLite state file (default: witness.sqlite3)")
    serve.set_defaults(handler=cmd_witness_serve)
