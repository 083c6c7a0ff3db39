# SPDX-License-Identifier: MIT
# The deployment kit: systemd units, the sample configuration, the Debian packages.

# systemd-analyze verify on the units, ExecStart pointed at the built server; skips (77) without
# systemd-analyze (Debian package systemd).
add_test(NAME deploy.units COMMAND ${PROJECT_SOURCE_DIR}/tests/deploy/verify_units.sh ${PROJECT_SOURCE_DIR}
                                   $<TARGET_FILE:sspix-server>)
set_tests_properties(deploy.units PROPERTIES SKIP_RETURN_CODE 77 LABELS deploy)

# Every config key is in etc/sspix-server.conf, and its defaults pass sspix-server -t.
sspix_realm_script_test(deploy.sample_config ${PROJECT_SOURCE_DIR}/tests/deploy/sample_config.sh
                        ${PROJECT_SOURCE_DIR} $<TARGET_FILE:sspix-server>)
set_tests_properties(deploy.sample_config PROPERTIES LABELS deploy ENVIRONMENT
                     "LSAN_OPTIONS=suppressions=${PROJECT_SOURCE_DIR}/tests/sanitizers/lsan.supp")

# make deb, then the unpacked packages' server and client authenticate against the realm (about a
# minute: dpkg-buildpackage and lintian). ctest -L deb runs it alone; SSPIX_TEST_DEB=0 skips it.
sspix_realm_script_test(deploy.deb ${SSPIX_PYTHON3} ${PROJECT_SOURCE_DIR}/tests/deploy/deb_e2e.py
                        ${PROJECT_SOURCE_DIR} ${PROJECT_BINARY_DIR}/deploy-deb)
set_tests_properties(deploy.deb PROPERTIES LABELS "deploy;deb" SKIP_RETURN_CODE 77 TIMEOUT 900)

# Where make install puts things: RUNPATH by prefix, the sample configuration kept once edited, docs.
add_test(NAME deploy.install_prefix COMMAND ${PROJECT_SOURCE_DIR}/tests/deploy/install_prefix.sh ${PROJECT_BINARY_DIR})
set_tests_properties(deploy.install_prefix PROPERTIES LABELS deploy)

# The unit's capability bounding set and NoNewPrivileges suffice: low port, keytab, --user drop,
# a client served, no capability left (setpriv; needs root, skips otherwise).
sspix_realm_script_test(deploy.caps_privdrop ${PROJECT_SOURCE_DIR}/tests/deploy/caps_privdrop.sh
                        $<TARGET_FILE:sspix-server> $<TARGET_FILE:sspix-client>)
set_tests_properties(deploy.caps_privdrop PROPERTIES LABELS deploy SKIP_RETURN_CODE 77 ENVIRONMENT
                     "LSAN_OPTIONS=suppressions=${PROJECT_SOURCE_DIR}/tests/sanitizers/lsan.supp")
