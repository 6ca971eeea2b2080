# Shared by the install-*.sh scripts that build a pinned Go tool into .bin/ (sourced, not run).
#
# Never pipe a command into `grep -q` or `head` here: under `set -o pipefail` the writer can be
# killed by SIGPIPE when the reader exits first, and the script then fails (exit 141) or
# rebuilds at random. Output is read into a variable first.

# go_tool_built BIN MODULE VERSION: true when BIN exists and was built from MODULE at vVERSION
# (`go install` and `go build` stamp the module version into the binary).
go_tool_built() {
    local info
    [ -x "$1" ] || return 1
    info="$(go version -m "$1" 2>/dev/null)" || return 1
    # fields compared as strings: "mod", the module path, "v" and the version, exactly
    awk -v module="$2" -v version="v$3" \
        '$1 == "mod" && $2 == module && $3 == version { found = 1 } END { exit !found }' <<<"$info"
}

# go_tool_require NAME: refuse, with a message, when Go is not installed.
go_tool_require() {
    command -v go >/dev/null || { echo "install-$1: Go is required to build $1" >&2; exit 1; }
}

# go_tool_show BIN: print the module line the binary carries.
go_tool_show() {
    local info
    info="$(go version -m "$1")"
    grep -E "^\s+mod\s" <<<"$info"
}
