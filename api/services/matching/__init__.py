"""Matching: claims that assert the same thing across outlets and analysts, and what each side says.

- `text`: a statement reduced to content words (stems, lemmas, names folded across scripts), negation, numbers;
- `lexicon`: the words it treats apart, per language;
- `scoring`: how alike two claims are, the relation that makes, and the reasons in words;
- `index`: the `claim_match_terms` index, written with the claim, and the candidate search over it;
- `matcher`: `POST /v1/claims/match` and the `similar` of a post;
- `related`: a claim's same-assertion claims grouped by party, its contradictions, and `GET /v1/compare`.

Modules are imported by name (`api.services.matching.matcher`): the claims writer imports `index`, and the
matcher reads claims, so this package imports nothing itself.
"""
