# Checks of the deployment files (deploy/check.py, docs/deploy.md): the compose stack and its
# configs (YAML, TOML, mounts, ports, endpoints between services), and every deploy/*.toml
# accepted by this build's edgetraced --check-config. Included with the daemon's tests
# (apps/edgetraced/CMakeLists.txt), as it needs the edgetraced target.
find_package(Python3 3.11 REQUIRED COMPONENTS Interpreter)

add_test(NAME deploy.check
  COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_LIST_DIR}/check.py
          --edgetraced $<TARGET_FILE:edgetraced>)
# Exit 77: a table this edgetraced does not know yet (check.py's PENDING_TABLES) was left out
# of --check-config. ctest shows the test as skipped, and the output says what was left out.
set_tests_properties(deploy.check PROPERTIES TIMEOUT 120 SKIP_RETURN_CODE 77)

# The checker's own tests (broken copies of deploy/): a unit test, run once (as et_test's).
if(EDGETRACE_UNIT_TESTS)
  add_test(NAME deploy.check_test
    COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_LIST_DIR}/check_test.py)
  set_tests_properties(deploy.check_test PROPERTIES TIMEOUT 300)
endif()
