"""The stored-tree arithmetic (api/services/merkle.py) against RFC 6962's reference tree and against itself.

The layout and the proof ranges are pure functions; the database side is tested through HTTP in
tests/test_transparency.py.
"""

from __future__ import annotations

import base64
import json
import random
from pathlib import Path

import pytest

from api import tlog_verify
from api.services import merkle

VECTORS = Path(__file__).parent / "data" / "rfc6962"
TREE = json.loads((VECTORS / "tree8.json").read_text())
LEAVES = [tlog_verify.leaf_hash(bytes.fromhex(value)) for value in TREE["leaf_inputs_hex"]]


def _stored(leaves: list[bytes]) -> list[bytes]:
    """Every hash appending these leaves one at a time stores, in position order."""
    edge, stored = merkle.Edge(0, ()), []
    for leaf in leaves:
        edge, written = merkle.extend(edge, [leaf])
        stored += written
    return stored


def test_appending_stores_every_complete_subtree_where_position_says() -> None:
    stored = _stored(LEAVES)
    assert len(stored) == merkle.stored_count(8) == 2 * 8 - 1
    for level, hashes in enumerate(TREE["node_hashes_hex_by_level"]):
        for index, expected in enumerate(hashes):
            assert stored[merkle.position(level, index)].hex() == expected, (level, index)


def test_stored_count_is_two_n_minus_popcount() -> None:
    leaves = [tlog_verify.leaf_hash(bytes([value % 256, value // 256])) for value in range(300)]
    edge = merkle.Edge(0, ())
    total = 0
    for size, leaf in enumerate(leaves, start=1):
        edge, written = merkle.extend(edge, [leaf])
        total += len(written)
        assert total == merkle.stored_count(size) == 2 * size - bin(size).count("1")
        assert merkle.fold(edge.hashes) == tlog_verify.root_of(leaves[:size])


def test_appending_in_one_batch_or_one_by_one_stores_the_same() -> None:
    leaves = [tlog_verify.leaf_hash(str(value).encode()) for value in range(77)]
    edge, written = merkle.extend(merkle.Edge(0, ()), leaves)
    assert written == _stored(leaves)
    assert merkle.fold(edge.hashes) == tlog_verify.root_of(leaves)


def test_reference_roots_from_the_stored_edge() -> None:
    stored = _stored(LEAVES)
    for size, expected in enumerate(TREE["root_hashes_hex_by_size"]):
        nodes = merkle._subtrees(0, size)
        assert merkle.fold([stored[merkle.position(level, index)] for level, index in nodes]).hex() == expected


def _proof_from_ranges(leaves: list[bytes], ranges: list[tuple[int, int]]) -> list[bytes]:
    return [tlog_verify.root_of(leaves[start:end]) for start, end in ranges]


def _happy(kind: str) -> list[dict[str, object]]:
    cases = json.loads((VECTORS / f"{kind}.json").read_text())
    return [case for case in cases if not case["wantErr"]]


@pytest.mark.parametrize("case", _happy("inclusion"), ids=lambda case: str(case["file"]))
def test_inclusion_proofs_equal_the_reference_ones(case: dict[str, object]) -> None:
    size = int(str(case["treeSize"]))
    if size > len(LEAVES):
        pytest.skip("a vector over another tree")
    ranges = merkle.inclusion_ranges(int(str(case["leafIdx"])), size)
    expected = [base64.b64decode(str(node)) for node in case["proof"] or []]  # type: ignore[attr-defined]
    assert _proof_from_ranges(LEAVES, ranges) == expected


@pytest.mark.parametrize("case", _happy("consistency"), ids=lambda case: str(case["file"]))
def test_consistency_proofs_equal_the_reference_ones(case: dict[str, object]) -> None:
    first, second = int(str(case["size1"])), int(str(case["size2"]))
    if second > len(LEAVES) or first == 0:
        pytest.skip("a vector over another tree")
    expected = [base64.b64decode(str(node)) for node in case["proof"] or []]  # type: ignore[attr-defined]
    assert _proof_from_ranges(LEAVES, merkle.consistency_ranges(first, second)) == expected


def test_every_proof_of_a_random_tree_verifies() -> None:
    generator = random.Random(16)
    leaves = [tlog_verify.leaf_hash(generator.randbytes(8)) for _ in range(70)]
    roots = [tlog_verify.root_of(leaves[:size]) for size in range(len(leaves) + 1)]
    for size in range(1, len(leaves) + 1):
        for index in range(size):
            proof = _proof_from_ranges(leaves, merkle.inclusion_ranges(index, size))
            tlog_verify.verify_inclusion(index, size, leaves[index], proof, roots[size])
        for old in range(1, size + 1):
            proof = _proof_from_ranges(leaves, merkle.consistency_ranges(old, size))
            tlog_verify.verify_consistency(old, size, proof, roots[old], roots[size])
            if proof:
                with pytest.raises(tlog_verify.VerificationError):
                    tlog_verify.verify_consistency(
                        old, size, proof, roots[old], roots[size - 1] if size > old else roots[0]
                    )


def test_every_range_a_proof_asks_for_is_made_of_stored_subtrees() -> None:
    """A proof range always starts where its subtrees are aligned, so its hash can be read, never recomputed."""
    for size in range(1, 200):
        ranges = [range_ for index in range(size) for range_ in merkle.inclusion_ranges(index, size)]
        ranges += [range_ for old in range(1, size + 1) for range_ in merkle.consistency_ranges(old, size)]
        for start, end in ranges:
            covered = start
            for level, index in merkle._subtrees(start, end):
                assert index << level == covered
                covered += 1 << level
            assert covered == end
