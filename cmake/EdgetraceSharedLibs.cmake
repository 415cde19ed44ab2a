# Shared libraries (-DBUILD_SHARED_LIBS=ON): every edgetrace_* shared library gets the
# SONAME libedgetrace_<name>.so.<major>.<minor> (the ABI may change with each minor version
# before 1.0) and exports only the edgetrace:: namespace (cmake/package/edgetrace.map);
# generated protobuf code, whose symbols the other libraries must see, keeps default
# visibility. Included by the top-level CMakeLists.txt after every target exists, also
# when edgetrace is a subproject.
function(et_collect_targets dir out)
  get_property(targets DIRECTORY ${dir} PROPERTY BUILDSYSTEM_TARGETS)
  get_property(subdirs DIRECTORY ${dir} PROPERTY SUBDIRECTORIES)
  foreach(sub IN LISTS subdirs)
    et_collect_targets(${sub} sub_targets)
    list(APPEND targets ${sub_targets})
  endforeach()
  set(${out} ${targets} PARENT_SCOPE)
endfunction()

if(BUILD_SHARED_LIBS)
  et_collect_targets(${PROJECT_SOURCE_DIR} et_all_targets)
  foreach(target IN LISTS et_all_targets)
    get_target_property(type ${target} TYPE)
    if(NOT type STREQUAL "SHARED_LIBRARY" OR NOT target MATCHES "^edgetrace_")
      continue()
    endif()
    set_target_properties(${target} PROPERTIES
      VERSION ${PROJECT_VERSION}
      SOVERSION ${PROJECT_VERSION_MAJOR}.${PROJECT_VERSION_MINOR})
    if(NOT target MATCHES "_proto$")
      target_link_options(${target} PRIVATE
        -Wl,--version-script=${PROJECT_SOURCE_DIR}/cmake/package/edgetrace.map)
      set_property(TARGET ${target} APPEND PROPERTY LINK_DEPENDS
                   ${PROJECT_SOURCE_DIR}/cmake/package/edgetrace.map)
    endif()
  endforeach()
endif()
