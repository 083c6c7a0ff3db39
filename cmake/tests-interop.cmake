# SPDX-License-Identifier: MIT
# Interoperability with MIT's gss-sample peers (Debian krb5-gss-samples: /usr/bin/gss-server and gss-client):
# MIT gss-client -> sspix-server --protocol gss-sample, sspix-client --protocol gss-sample -> MIT gss-server,
# and both sspix programs in gss-sample mode. Against the realm fixture; see tests/interop/interop.py.
set(SSPIX_INTEROP_CASES mit_client_krb5 mit_client_spnego mit_client_variants mit_client_refused mit_server
                        sspix_both)
if(SSPIX_PYTHON3 AND TARGET sspix-server AND TARGET sspix-client)
  foreach(case ${SSPIX_INTEROP_CASES})
    add_test(NAME interop.${case}
             COMMAND sh -c ". '${SSPIX_REALM_DIR}/env' && exec \"$@\"" sh ${SSPIX_PYTHON3}
                     ${PROJECT_SOURCE_DIR}/tests/interop/interop.py ${case} $<TARGET_FILE:sspix-server>
                     $<TARGET_FILE:sspix-client>)
    set_tests_properties(interop.${case} PROPERTIES FIXTURES_REQUIRED realm TIMEOUT 300 LABELS interop)
  endforeach()
endif()
