# Shared by the e2e scripts: count named checks and report them as PASS/FAIL lines, then a summary
# whose exit status says whether every check passed. Source it; it keeps its counts in globals.
passed=0
failed=0

# record STATUS NAME [DETAIL]: a check passed when STATUS is 0.
record() {
  local status="$1" name="$2" detail="${3:-}"
  if [ "$status" = 0 ]; then
    passed=$((passed + 1))
    echo "PASS: $name"
  else
    failed=$((failed + 1))
    echo "FAIL: $name${detail:+: $detail}"
  fi
}

# summary: prints the counts; fails when a check failed.
summary() {
  echo "$passed passed, $failed failed"
  [ "$failed" = 0 ]
}
