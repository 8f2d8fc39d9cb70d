// uap-core's regexes.yaml, built into the binary so the user_agent app needs no file at run
// time. CMake passes the file's path (share/node_modules/uap-core, pinned in
// share/package.json) and rebuilds this when the file changes (ccache does not cache a file
// that uses .incbin, so it never serves a stale one).
asm(".section .rodata,\"a\",@progbits\n"
    ".global hedgerow_uap_regexes\n"
    "hedgerow_uap_regexes:\n"
    ".incbin \"" HEDGEROW_UAP_REGEXES "\"\n"
    "hedgerow_uap_regexes_end:\n"
    ".byte 0\n"
    ".balign 8\n"
    ".global hedgerow_uap_regexes_size\n"
    "hedgerow_uap_regexes_size:\n"
    ".quad hedgerow_uap_regexes_end - hedgerow_uap_regexes\n"
    ".previous\n");
