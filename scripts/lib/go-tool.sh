# Shared by the install-*.sh scripts that build a pinned Go tool into .bin/ (sourced, not run).
#
# Never pipe a command into `grep -q` or `head` here: under `set -o pipefail` the writer can be
# killed by SIGPIPE when the reader exits first, and the script then fails (exit 141) or
# rebuilds at random. Output is read into a variable, or a file is searched, instead.

# go_tool_built BIN MODULE VERSION: true when BIN exists and was built from MODULE at vVERSION.
# `go install` and `go build` stamp the build information into the binary as text, one
# "mod<TAB>path<TAB>version<TAB>sum" line for the main module (what `go version -m` prints);
# that exact line is looked for in the file, so no Go is needed to reuse a tool.
go_tool_built() {
    [ -f "$1" ] && [ -x "$1" ] || return 1
    grep -aqF -e "$(printf 'mod\t%s\tv%s\t' "$2" "$3")" "$1"
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
