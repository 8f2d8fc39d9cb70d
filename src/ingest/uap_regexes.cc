// uap-core's regexes.yaml, built into the binary so the user_agent app needs no file at run
// time. CMake passes the file's path (share/node_modules/uap-core, pinned in
// share/package.json) and its MD5, which is here only so that ccache, which does not see
// into .incbin, compiles this again when the file changes.
static_assert(sizeof(HEDGEROW_UAP_REGEXES_MD5) == 33, "CMake passes the regexes' MD5");

asm(".section .rodata\n"
    ".global hedgerow_uap_regexes_begin\n"
    "hedgerow_uap_regexes_begin:\n"
    ".incbin \"" HEDGEROW_UAP_REGEXES "\"\n"
    ".global hedgerow_uap_regexes_end\n"
    "hedgerow_uap_regexes_end:\n"
    ".byte 0\n"
    ".previous\n");
