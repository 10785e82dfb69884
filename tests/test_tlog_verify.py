"""The standalone verifier (api/tlog_verify.py) against published vectors: RFC 6962's, Go's sumdb/note, C2SP's.

The Merkle vectors are transparency-dev/merkle's test data (tests/data/rfc6962/README.md). The note vectors are
those of Go's golang.org/x/mod/sumdb/note tests and of the C2SP signed-note specification.
"""

from __future__ import annotations

import base64
import json
import re
import time
from pathlib import Path
from typing import Any

import pytest

from api import tlog_verify
from api.services import transparency

VECTORS = Path(__file__).parent / "data" / "rfc6962"
TREE = json.loads((VECTORS / "tree8.json").read_text())
INCLUSION = json.loads((VECTORS / "inclusion.json").read_text())
CONSISTENCY = json.loads((VECTORS / "consistency.json").read_text())


def _b64(value: str) -> bytes:
    return base64.b64decode(value)


def _proof(case: dict[str, Any]) -> list[bytes]:
    return [_b64(node) for node in case["proof"] or []]


def test_the_vectors_are_all_there() -> None:
    # 5 leaf positions and the extra cases; a truncated data file would quietly test less.
    assert len(INCLUSION) == 98 and len(CONSISTENCY) == 98
    assert sum(not case["wantErr"] for case in INCLUSION) == 6
    assert sum(not case["wantErr"] for case in CONSISTENCY) == 6


@pytest.mark.parametrize("case", INCLUSION, ids=[case["file"] for case in INCLUSION])
def test_rfc6962_inclusion_vector(case: dict[str, Any]) -> None:
    arguments = (case["leafIdx"], case["treeSize"], _b64(case["leafHash"]), _proof(case), _b64(case["root"]))
    if case["wantErr"]:
        with pytest.raises(tlog_verify.VerificationError):
            tlog_verify.verify_inclusion(*arguments)
    else:
        tlog_verify.verify_inclusion(*arguments)


@pytest.mark.parametrize("case", CONSISTENCY, ids=[case["file"] for case in CONSISTENCY])
def test_rfc6962_consistency_vector(case: dict[str, Any]) -> None:
    arguments = (case["size1"], case["size2"], _proof(case), _b64(case["root1"]), _b64(case["root2"]))
    if case["wantErr"]:
        with pytest.raises(tlog_verify.VerificationError):
            tlog_verify.verify_consistency(*arguments)
    else:
        tlog_verify.verify_consistency(*arguments)


def test_the_reference_tree_has_the_reference_roots_at_every_size() -> None:
    leaves = [tlog_verify.leaf_hash(bytes.fromhex(value)) for value in TREE["leaf_inputs_hex"]]
    assert [leaf.hex() for leaf in leaves] == TREE["node_hashes_hex_by_level"][0]
    for size, expected in enumerate(TREE["root_hashes_hex_by_size"]):
        assert tlog_verify.root_of(leaves[:size]).hex() == expected, size


# ---- Go's sumdb/note (note_test.go) ---------------------------------------------------------------------

PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
PETER_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
PETER_SIG = (
    "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)
ENOCH_SIG = "— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n"


def test_go_verifier_key_parses_and_every_mangling_is_refused() -> None:
    verifier = tlog_verify.parse_verifier_key(PETER_VKEY)
    assert (verifier.name, verifier.key_id, verifier.vkey) == ("PeterNeumann", 0xC74F20A3, PETER_VKEY)
    manglings = [PETER_VKEY[i:j] for i in range(len(PETER_VKEY) + 1) for j in range(i + 1, len(PETER_VKEY) + 1)]
    manglings.remove(PETER_VKEY)
    manglings += [PETER_VKEY[:i] + chr(ord(PETER_VKEY[i]) + 1) + PETER_VKEY[i + 1 :] for i in range(len(PETER_VKEY))]
    # a key of the wrong length and an unknown algorithm, each with its key id adjusted to match
    manglings += [
        "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==",
        "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
    ]
    for mangled in manglings:
        with pytest.raises(tlog_verify.VerificationError):
            tlog_verify.parse_verifier_key(mangled)


def test_go_signer_key_parses_and_every_mangling_is_refused() -> None:
    key = transparency.parse_key(PETER_SKEY)
    assert key.verifier.vkey == PETER_VKEY
    assert key.encode() == PETER_SKEY
    manglings = [PETER_SKEY[i:j] for i in range(len(PETER_SKEY) + 1) for j in range(i + 1, len(PETER_SKEY) + 1)]
    manglings.remove(PETER_SKEY)
    manglings += [PETER_SKEY[:i] + chr(ord(PETER_SKEY[i]) + 1) + PETER_SKEY[i + 1 :] for i in range(len(PETER_SKEY))]
    for mangled in manglings:
        with pytest.raises(ValueError):
            transparency.parse_key(mangled)


def test_go_signer_signs_the_reference_note_byte_for_byte() -> None:
    key = transparency.parse_key(PETER_SKEY)
    assert TEXT + "\n" + key.signature_line(TEXT) == TEXT + "\n" + PETER_SIG


def test_go_open_verifies_known_signatures_and_ignores_unknown_ones() -> None:
    peter = tlog_verify.parse_verifier_key(PETER_VKEY)
    enoch = tlog_verify.parse_verifier_key(ENOCH_VKEY)
    message = TEXT + "\n" + PETER_SIG + ENOCH_SIG

    note = tlog_verify.open_note(message, [peter])
    assert note.text == TEXT
    assert [signature.name for signature in note.verified] == ["PeterNeumann"]
    assert [signature.name for signature in note.signatures] == ["PeterNeumann", "EnochRoot"]

    both = tlog_verify.open_note(message, [peter, enoch])
    assert [signature.name for signature in both.verified] == ["PeterNeumann", "EnochRoot"]

    with pytest.raises(tlog_verify.VerificationError, match="no signature from a known key"):
        tlog_verify.open_note(message, [])


def test_go_open_refuses_a_bad_signature_from_a_known_key() -> None:
    peter = tlog_verify.parse_verifier_key(PETER_VKEY)
    corrupted = PETER_SIG[:60] + "ABCD" + PETER_SIG[60:]
    with pytest.raises(tlog_verify.VerificationError, match="signature of PeterNeumann"):
        tlog_verify.open_note(TEXT + "\n" + corrupted, [peter])
    # ... but a corrupted signature of an unknown key is only ignored, and duplicates count once
    enoch_corrupted = ENOCH_SIG[:60] + "ABCD" + ENOCH_SIG[60:]
    note = tlog_verify.open_note(TEXT + "\n" + PETER_SIG + PETER_SIG + ENOCH_SIG + ENOCH_SIG + enoch_corrupted, [peter])
    assert len(note.verified) == 1
    assert len(note.signatures) == 3


def test_go_open_refuses_malformed_notes() -> None:
    peter = tlog_verify.parse_verifier_key(PETER_VKEY)
    malformed: list[str | bytes] = [
        TEXT,
        TEXT + "\n",
        TEXT + "\n" + PETER_SIG[:-1],
        "\x01" + TEXT + "\n" + PETER_SIG,
        b"\xff" + (TEXT + "\n" + PETER_SIG).encode(),
        TEXT
        + "\n"
        + "— Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=",
        TEXT + "\n" + PETER_SIG + "Unexpected line.\n",
        TEXT + "\n" + PETER_SIG * 101,  # more signatures than any note needs
    ]
    for message in malformed:
        with pytest.raises(tlog_verify.VerificationError):
            tlog_verify.open_note(message, [peter])


def test_c2sp_signed_note_example_verifies() -> None:
    verifier = tlog_verify.parse_verifier_key("example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k")
    note = tlog_verify.open_note(
        "This is an example message.\n\n— example.com/foo "
        "Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n",
        [verifier],
    )
    assert note.text == "This is an example message.\n"
    with pytest.raises(tlog_verify.VerificationError):
        tlog_verify.open_note(
            "This is an example message!\n\n— example.com/foo "
            "Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n",
            [verifier],
        )


# ---- checkpoints and cosignatures -------------------------------------------------------------------------


def test_checkpoint_text_is_parsed_strictly() -> None:
    root = base64.b64encode(bytes(range(32))).decode()
    parsed = tlog_verify.parse_checkpoint(f"example.com/log\n20852163\n{root}\nan extension\n")
    assert (parsed.origin, parsed.size, parsed.root, parsed.extensions) == (
        "example.com/log",
        20852163,
        bytes(range(32)),
        ("an extension",),
    )
    assert parsed.text == f"example.com/log\n20852163\n{root}\nan extension\n"
    empty = base64.b64encode(tlog_verify.EMPTY_ROOT).decode()
    assert tlog_verify.parse_checkpoint(f"log\n0\n{empty}\n").size == 0
    for bad in [
        f"example.com/log\n020\n{root}\n",  # a leading zero
        f"example.com/log\n-1\n{root}\n",
        f"example.com/log\n20\n{root}",  # no final newline
        f"example.com/log\n20\n{root}\n\n",  # an empty extension line
        "example.com/log\n20\nAAAA\n",  # not a SHA-256 hash
        f"example.com/log\n0\n{root}\n",  # the empty tree has the empty root
        f"example.com/log\n{root}\n",
    ]:
        with pytest.raises(tlog_verify.VerificationError):
            tlog_verify.parse_checkpoint(bad)


def test_cosignature_verifies_and_states_its_time() -> None:
    log = transparency.generate_key("example.com/log")
    witness = transparency.generate_key("witness.example/w1", tlog_verify.COSIGNATURE_ED25519)
    text = tlog_verify.Checkpoint("example.com/log", 3, bytes(32)).text
    note = text + "\n" + log.signature_line(text) + witness.signature_line(text, timestamp=1679315147)
    checkpoint, opened = tlog_verify.open_checkpoint(note, log.verifier, [witness.verifier])
    assert checkpoint.size == 3
    assert opened.cosigned_at == {"witness.example/w1": 1679315147}
    # The cosignature signs its timestamp: changing the time breaks it.
    line = witness.signature_line(text, timestamp=1679315147)
    raw = bytearray(base64.b64decode(line.split()[-1]))
    raw[11] ^= 1
    forged = f"— witness.example/w1 {base64.b64encode(bytes(raw)).decode()}\n"
    with pytest.raises(tlog_verify.VerificationError, match="does not verify"):
        tlog_verify.open_checkpoint(text + "\n" + log.signature_line(text) + forged, log.verifier, [witness.verifier])
    # A checkpoint without the required cosignature is refused; one without the log's signature too.
    with pytest.raises(tlog_verify.VerificationError, match="not cosigned"):
        tlog_verify.open_checkpoint(text + "\n" + log.signature_line(text), log.verifier, [witness.verifier])
    with pytest.raises(tlog_verify.VerificationError, match="not signed by the log"):
        tlog_verify.open_checkpoint(text + "\n" + line, log.verifier, [witness.verifier])


def test_a_cosignature_key_and_a_note_key_are_told_apart_by_their_ids() -> None:
    key = transparency.generate_key("example.com/same-name")
    as_cosigner = transparency.SigningKey(key.name, tlog_verify.COSIGNATURE_ED25519, key.private_key)
    assert key.key_id != as_cosigner.key_id
    text = "a note\n"
    with pytest.raises(tlog_verify.VerificationError, match="no signature from a known key"):
        tlog_verify.open_note(text + "\n" + key.signature_line(text), [as_cosigner.verifier])


def test_cosignature_timestamps_are_recent_by_default() -> None:
    witness = transparency.generate_key("witness.example/w1", tlog_verify.COSIGNATURE_ED25519)
    text = "example.com/log\n1\n" + base64.b64encode(bytes(32)).decode() + "\n"
    note = tlog_verify.open_note(text + "\n" + witness.signature_line(text), [witness.verifier])
    assert abs(note.cosigned_at["witness.example/w1"] - time.time()) < 60


def test_the_documented_checkpoint_verifies() -> None:
    """docs/transparency-log.md shows a real cosigned checkpoint and its keys: it must stay one."""
    document = (Path(__file__).parent.parent / "docs" / "transparency-log.md").read_text()
    note = re.search(r"```text\n(.*?)```", document, re.DOTALL).group(1)  # type: ignore[union-attr]
    log_key, witness_key = re.findall(r"`((?:claims|witness)\.example[^`+]*\+[0-9a-f]{8}\+[^`]+)`", document)
    checkpoint, opened = tlog_verify.open_checkpoint(
        note, tlog_verify.parse_verifier_key(log_key), [tlog_verify.parse_verifier_key(witness_key)]
    )
    assert (checkpoint.origin, checkpoint.size) == ("claims.example.org", 40)
    assert set(opened.cosigned_at) == {"witness.example/w1"}
