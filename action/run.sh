#!/usr/bin/env bash
# Runs the gate for the action: annotations on stdout (workflow commands), the Markdown summary
# appended to $GITHUB_STEP_SUMMARY, the JSON report and optional SARIF written, the outputs
# `decision`, `blocked-models` and `report` set, and the step failing exactly when the gate
# blocks (exit 1) or cannot evaluate (exit 2). Inputs arrive as environment variables only.
# With `attest`, the one model's predicate and subjects are made ready for actions/attest; with
# `signing-key`, the statements are signed (the key lives in a file only while aimsgate runs).
set -uo pipefail

aimsgate="${AIMSGATE:-aimsgate}"
out_dir="${RUNNER_TEMP:-/tmp}/aimsgate-report"
mkdir -p "$out_dir"
report="$out_dir/aimsgate.json"
summary="$out_dir/summary.md"
# Nothing of an earlier run in this job may stand for this one's.
attest_dir="$out_dir/attestations"
key_file="$out_dir/signing.key"
rm -f "$report" "$summary" "$key_file"
rm -rf "$attest_dir"
[ -n "${INPUT_SARIF:-}" ] && rm -f -- "$INPUT_SARIF"
# The key is removed however the script ends.
trap 'rm -f "$key_file"' EXIT

args=(check --format github --output "json=$report" --output "markdown=$summary")
args+=(--action "${INPUT_ACTION:-release}")
[ -n "${INPUT_ENVIRONMENT:-}" ] && args+=(--env "$INPUT_ENVIRONMENT")
[ -n "${INPUT_POLICIES:-}" ] && args+=(--policies "$INPUT_POLICIES")
# All governance configuration is read from a protected ref, named in full so that no tag or
# branch the change pushes can shadow it: the base branch on a pull request, else the default
# branch. `none` reads it from the working tree (a pull request then judges itself).
protected_ref="${INPUT_PROTECTED_REF:-${INPUT_POLICIES_REF:-}}"
if [ -z "$protected_ref" ]; then
  if [ -n "${GITHUB_BASE_REF:-}" ]; then
    protected_ref="refs/remotes/origin/$GITHUB_BASE_REF"
  elif [ -n "${GITHUB_EVENT_PATH:-}" ] && [ -r "$GITHUB_EVENT_PATH" ]; then
    default_branch=$(jq -r '.repository.default_branch // empty' "$GITHUB_EVENT_PATH" 2>/dev/null || true)
    [ -n "$default_branch" ] && protected_ref="refs/remotes/origin/$default_branch"
  fi
fi
[ -n "$protected_ref" ] && [ "$protected_ref" != "none" ] && args+=(--protected-ref "$protected_ref")
[ -n "${INPUT_CHANGED_SINCE:-}" ] && args+=(--changed-since "$INPUT_CHANGED_SINCE")
[ -n "${INPUT_SARIF:-}" ] && args+=(--output "sarif=$INPUT_SARIF")
[ "${INPUT_CHECK_RUN:-false}" = "true" ] && args+=(--publish check-run)
[ "${INPUT_COMMENT:-false}" = "true" ] && args+=(--publish comment)
attesting=false
if [ "${INPUT_ATTEST:-false}" = "true" ] || [ -n "${INPUT_SIGNING_KEY:-}" ]; then
  attesting=true
  args+=(--attest "$attest_dir")
fi
if [ -n "${INPUT_SIGNING_KEY:-}" ]; then
  (umask 077 && printf '%s\n' "$INPUT_SIGNING_KEY" > "$key_file")
  args+=(--signing-key "$key_file")
fi
if [ -n "${INPUT_PATHS:-}" ]; then
  read -r -d '' -a paths <<< "$INPUT_PATHS" || true
  # After `--`, every word is a path: `paths` cannot add an option (`--now`, `--waivers`).
  args+=(-- "${paths[@]}")
fi

"$aimsgate" "${args[@]}"
code=$?
rm -f "$key_file"

if [ -s "$summary" ] && [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
  cat "$summary" >> "$GITHUB_STEP_SUMMARY"
fi

case "$code" in
  0) decision=allowed ;;
  1) decision=blocked ;;
  *) decision=error ;;
esac
blocked=""
if [ -s "$report" ]; then
  blocked=$(jq -r '[.models[] | select(.decision == "blocked") | .id] | join(" ")' "$report" 2>/dev/null || true)
  reported=$(jq -r '.decision' "$report" 2>/dev/null || true)
  # The exit code and the report must agree; if they do not, trust neither: fail closed.
  if [ "$reported" != "$decision" ]; then
    echo "::error title=aimsgate::exit code $code and the report's decision '${reported:-none}' disagree"
    decision=error
    code=2
  fi
fi
# Each output in GitHub's multi-line syntax (NAME<<DELIMITER, the value, DELIMITER) with a
# delimiter nobody can guess, so that no value — model ids come from cards — can end its own
# output early and add others ("decision=allowed") that later steps would read.
set_output() {
  local name=$1 value=$2 delimiter
  delimiter="aimsgate_$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')"
  while [[ "$value" == *"$delimiter"* ]]; do
    delimiter="aimsgate_$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')"
  done
  printf '%s<<%s\n%s\n%s\n' "$name" "$delimiter" "$value" "$delimiter" >> "${GITHUB_OUTPUT:?}"
}
# For actions/attest: the one model's predicate, and its subjects as `sha256sum` lines. Only an
# allowed model is attested keyless (`gh attestation verify` checks the signature and the
# predicate type, not the result); a name that would break its line is refused, never written.
predicate=""
subjects=""
if [ "${INPUT_ATTEST:-false}" = "true" ] && [ "$decision" = "allowed" ]; then
  shopt -s nullglob
  statements=("$attest_dir"/*.statement.json)
  shopt -u nullglob
  if [ "${#statements[@]}" -gt 1 ]; then
    echo "::error title=aimsgate::attest: true attests one model per run, and this run judged ${#statements[@]}; name one model's folder in paths"
    decision=error
    code=2
  elif [ "${#statements[@]}" -eq 1 ]; then
    predicate="$attest_dir/predicate.json"
    subjects="$attest_dir/subjects.sha256"
    if ! jq -e '.predicateType == "https://slsa.dev/verification_summary/v1" and .predicate.verificationResult == "PASSED"' "${statements[0]}" > /dev/null \
      || jq -e '[.subject[].name | explode | any(. < 32 or . == 127)] | any' "${statements[0]}" > /dev/null \
      || ! jq '.predicate' "${statements[0]}" > "$predicate" \
      || ! jq -r '.subject[] | select(.digest.sha256) | "\(.digest.sha256)  \(.name)"' "${statements[0]}" > "$subjects"; then
      echo "::error title=aimsgate::the statement cannot be handed to actions/attest (not a PASSED verification summary, or a subject name with a control character)"
      predicate=""
      subjects=""
      decision=error
      code=2
    fi
  fi
fi
set_output decision "$decision"
set_output blocked-models "$blocked"
set_output report "$report"
set_output attestations "$([ "$attesting" = true ] && echo "$attest_dir")"
set_output attestation-predicate "$predicate"
set_output attestation-subjects "$subjects"
exit "$code"
