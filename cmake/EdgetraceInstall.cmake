# Install rules and the CMake package (find_package(edgetrace COMPONENTS ...)).
#
# Included last by the top-level CMakeLists.txt when EDGETRACE_INSTALL is on, after every
# target exists. Each component is its own export set, so a consumer that asks for `sdk`
# loads (and finds the dependencies of) core + sdk only: no protobuf, gRPC or libcurl.
#
#   component  targets (edgetrace::<name>)                         finds
#   core       core                                                 -
#   sdk        sdk, config, otlp_options                            Threads, fmt
#   otlp       otlp, otlp_proto                                     Protobuf, gRPC, simdjson
#   sdk_otlp   sdk_otlp, otlp_exporter (+ transports), processors   CURL, ZLIB, gRPC, re2
#   decoder    decoder                                              libelf (pkg-config)
#   sdk_http_beast / sdk_http_httplib / sdk_http_curl: header-only HTTP adapters (docs/http.md)
#                                                                   Boost / cpp-httplib / CURL
#   device     device: built by the consumer from installed sources (any toolchain)
#
# Layout (GNUInstallDirs; the Debian packages use prefix /usr):
#   include/edgetrace/...                 public headers (+ generated OTLP headers)
#   <libdir>/libedgetrace_*.a|.so         libraries
#   <libdir>/cmake/edgetrace/             package config, version and targets files
#   <libdir>/pkgconfig/edgetrace-sdk.pc   pkg-config (and edgetrace-sdk-otlp.pc)
#   share/edgetrace/device/               the firmware library's sources and linker fragment
#   bin/edgetrace, bin/edgetraced         the programs
#   <sysconfdir>/edgetrace/edgetraced.toml, the systemd unit, share/man, share/doc
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(ET_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/edgetrace)
set(ET_GENERATED_INCLUDE_DIR ${CMAKE_INSTALL_INCLUDEDIR}/edgetrace/generated)

set(ET_COMPONENT_core edgetrace_core)
set(ET_COMPONENT_sdk edgetrace_otlp_options edgetrace_config edgetrace_sdk)
set(ET_COMPONENT_otlp edgetrace_otlp_proto edgetrace_otlp)
set(ET_COMPONENT_sdk_otlp edgetrace_otlp_exporter_core edgetrace_otlp_http
    edgetrace_rpc_status_proto edgetrace_otlp_grpc edgetrace_otlp_exporter
    edgetrace_processors edgetrace_sdk_otlp)
set(ET_COMPONENT_decoder edgetrace_decoder)
set(ET_COMPONENTS core sdk otlp sdk_otlp decoder)
# The header-only HTTP adapters (docs/http.md), each where its library was found.
foreach(adapter beast httplib curl)
  if(TARGET edgetrace_sdk_http_${adapter})
    set(ET_COMPONENT_sdk_http_${adapter} edgetrace_sdk_http_${adapter})
    list(APPEND ET_COMPONENTS sdk_http_${adapter})
  endif()
endforeach()

# Include directories inside the source or build tree are build-only; installed targets
# use <prefix>/include (and the generated headers' folder for the protobuf targets).
function(et_install_interface_includes target)
  get_target_property(dirs ${target} INTERFACE_INCLUDE_DIRECTORIES)
  if(NOT dirs)
    return()
  endif()
  set(fixed)
  foreach(dir IN LISTS dirs)
    if(dir MATCHES "^\\$<")
      list(APPEND fixed "${dir}")
    else()
      list(APPEND fixed "$<BUILD_INTERFACE:${dir}>")
    endif()
  endforeach()
  set_target_properties(${target} PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "${fixed}")
  get_target_property(system_dirs ${target} INTERFACE_SYSTEM_INCLUDE_DIRECTORIES)
  if(system_dirs)
    set(fixed)
    foreach(dir IN LISTS system_dirs)
      if(dir MATCHES "^\\$<")
        list(APPEND fixed "${dir}")
      else()
        list(APPEND fixed "$<BUILD_INTERFACE:${dir}>")
      endif()
    endforeach()
    set_target_properties(${target} PROPERTIES INTERFACE_SYSTEM_INCLUDE_DIRECTORIES "${fixed}")
  endif()
endfunction()

# The generated OTLP and google.rpc headers (their include folders are the targets' own).
foreach(target edgetrace_otlp_proto edgetrace_rpc_status_proto)
  get_target_property(gen_dirs ${target} INTERFACE_INCLUDE_DIRECTORIES)
  foreach(dir IN LISTS gen_dirs)
    install(DIRECTORY ${dir}/ DESTINATION ${ET_GENERATED_INCLUDE_DIR} COMPONENT dev
            FILES_MATCHING PATTERN "*.h")
  endforeach()
  et_install_interface_includes(${target})
  target_include_directories(${target} SYSTEM
    INTERFACE $<INSTALL_INTERFACE:${ET_GENERATED_INCLUDE_DIR}>)
endforeach()

install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/edgetrace
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT dev)
install(FILES ${ET_VERSION_HEADER} DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/edgetrace
        COMPONENT dev)

foreach(component IN LISTS ET_COMPONENTS)
  foreach(target IN LISTS ET_COMPONENT_${component})
    string(REGEX REPLACE "^edgetrace_" "" name ${target})
    set_target_properties(${target} PROPERTIES EXPORT_NAME ${name})
    if(NOT target MATCHES "_proto$")
      et_install_interface_includes(${target})
    endif()
    get_target_property(type ${target} TYPE)
    if(type STREQUAL "SHARED_LIBRARY")
      # SONAME libedgetrace_x.so.<major>.<minor>: ABI may change with each minor version
      # before 1.0. Only the edgetrace:: namespace is exported (generated protobuf code,
      # whose symbols other libraries must see, keeps default visibility).
      set_target_properties(${target} PROPERTIES
        VERSION ${PROJECT_VERSION}
        SOVERSION ${PROJECT_VERSION_MAJOR}.${PROJECT_VERSION_MINOR})
      if(NOT target MATCHES "_proto$")
        target_link_options(${target} PRIVATE
          -Wl,--version-script=${PROJECT_SOURCE_DIR}/cmake/package/edgetrace.map)
        set_property(TARGET ${target} APPEND PROPERTY LINK_DEPENDS
                     ${PROJECT_SOURCE_DIR}/cmake/package/edgetrace.map)
      endif()
    endif()
  endforeach()
  install(TARGETS ${ET_COMPONENT_${component}} EXPORT edgetrace-${component}
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev
    LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev
            NAMELINK_COMPONENT dev
    INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
  install(EXPORT edgetrace-${component} NAMESPACE edgetrace::
    FILE edgetrace-${component}-targets.cmake
    DESTINATION ${ET_CMAKE_DIR} COMPONENT dev)
endforeach()

# Stripped installs (cpack, `cmake --install --strip`) strip the static libraries' debug
# information too (install(TARGETS) strips only programs and shared libraries).
set(ET_STRIP_ARCHIVES_CODE [=[
  if(CMAKE_INSTALL_DO_STRIP)
    file(GLOB _et_archives "$ENV{DESTDIR}${CMAKE_INSTALL_PREFIX}/@ET_LIBDIR@/libedgetrace_*.a")
    foreach(_et_archive IN LISTS _et_archives)
      execute_process(COMMAND "${CMAKE_STRIP}" --strip-debug "${_et_archive}"
                      RESULT_VARIABLE _et_rc)
      if(NOT _et_rc EQUAL 0)
        message(FATAL_ERROR "strip --strip-debug ${_et_archive} failed")
      endif()
    endforeach()
  endif()
]=])
string(REPLACE "@ET_LIBDIR@" "${CMAKE_INSTALL_LIBDIR}" ET_STRIP_ARCHIVES_CODE
       "${ET_STRIP_ARCHIVES_CODE}")
string(REPLACE "\${CMAKE_STRIP}" "${CMAKE_STRIP}" ET_STRIP_ARCHIVES_CODE
       "${ET_STRIP_ARCHIVES_CODE}")
install(CODE "${ET_STRIP_ARCHIVES_CODE}" COMPONENT dev)

# The firmware library as sources: a firmware project compiles them with its own
# toolchain (the package's `device` component defines the target from these).
install(FILES ${ET_DEVICE_SOURCES} DESTINATION ${CMAKE_INSTALL_DATADIR}/edgetrace/device/src
        COMPONENT dev)
install(FILES ${PROJECT_SOURCE_DIR}/firmware/edgetrace.ld
              ${PROJECT_SOURCE_DIR}/cmake/arm-none-eabi.cmake
        DESTINATION ${CMAKE_INSTALL_DATADIR}/edgetrace/device COMPONENT dev)

set(ET_DEVICE_SOURCE_NAMES)
foreach(f IN LISTS ET_DEVICE_SOURCES)
  get_filename_component(name ${f} NAME)
  list(APPEND ET_DEVICE_SOURCE_NAMES ${name})
endforeach()
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/package/edgetrace-config.cmake.in
  ${PROJECT_BINARY_DIR}/package/edgetrace-config.cmake
  INSTALL_DESTINATION ${ET_CMAKE_DIR}
  PATH_VARS CMAKE_INSTALL_INCLUDEDIR CMAKE_INSTALL_DATADIR)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/package/edgetrace-config-version.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion
  # The device component is sources for any target; the config refuses host libraries
  # to a consumer whose pointer size differs.
  ARCH_INDEPENDENT)
install(FILES ${PROJECT_BINARY_DIR}/package/edgetrace-config.cmake
              ${PROJECT_BINARY_DIR}/package/edgetrace-config-version.cmake
        DESTINATION ${ET_CMAKE_DIR} COMPONENT dev)

# pkg-config, for builds that do not use CMake. Static archives list their dependencies
# in Libs (pkg-config --static is not needed for them; Requires.private covers shared).
# The prefix relative to the .pc file, so an unpacked package (dpkg -x) works anywhere.
file(RELATIVE_PATH ET_PC_PREFIX_FROM_PCDIR /prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig /prefix)
foreach(pc edgetrace-sdk edgetrace-sdk-otlp)
  configure_file(${PROJECT_SOURCE_DIR}/cmake/package/${pc}.pc.in
                 ${PROJECT_BINARY_DIR}/package/${pc}.pc @ONLY)
  install(FILES ${PROJECT_BINARY_DIR}/package/${pc}.pc
          DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig COMPONENT dev)
endforeach()
