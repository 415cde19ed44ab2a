# The programs' install rules and the Debian packages (CPack, `cpack -G DEB` in the build
# folder, or `scripts/package`):
#
#   package            install component  contents
#   edgetraced         edgetraced         bin/edgetraced, the systemd unit (not enabled), the
#                                         config /etc/edgetrace/edgetraced.toml (a conffile),
#                                         man page; postinst adds the system user `edgetrace`
#                                         and /var/lib/edgetrace
#   edgetrace-cli      cli                bin/edgetrace, bin/edgetrace-sim, man pages
#   libedgetrace-dev   dev                headers, static libraries, CMake package, pkg-config,
#                                         the firmware library's sources and linker fragment
#
# Runtime Depends come from the binaries (dpkg-shlibdeps). libedgetrace-dev depends on the
# -dev packages of the SDK's console part only; the OTLP, decoder and gRPC ones are
# Suggests, since a console-only consumer does not need them (find_package asks for them
# per component).
include(GNUInstallDirs)

# Files under /etc and the unit folder are placed at install time from the prefix then in
# effect: prefix /usr (the packages) gives /etc/edgetrace and /lib/systemd/system; any
# other prefix P gives P/etc/edgetrace and P/lib/systemd/system.
set(ET_INSTALL_PATHS_CODE [=[
  if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
    set(ET_SYSCONFDIR "/etc")
    set(ET_UNITDIR "/lib/systemd/system")
  else()
    set(ET_SYSCONFDIR "${CMAKE_INSTALL_PREFIX}/etc")
    set(ET_UNITDIR "${CMAKE_INSTALL_PREFIX}/lib/systemd/system")
  endif()
]=])

find_package(Python3 COMPONENTS Interpreter)

# Man pages rendered from --help (scripts/render-help), gzipped as Debian wants them.
function(et_man_page target section description component)
  if(NOT Python3_FOUND)
    return()
  endif()
  set(out ${PROJECT_BINARY_DIR}/man/${target}.${section}.gz)
  add_custom_command(OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${PROJECT_BINARY_DIR}/man
    COMMAND ${CMAKE_COMMAND} -E env SOURCE_DATE_EPOCH=${ET_SOURCE_DATE_EPOCH}
            ${Python3_EXECUTABLE} ${PROJECT_SOURCE_DIR}/scripts/render-help man
            $<TARGET_FILE:${target}> --section ${section} --description "${description}"
            --version ${PROJECT_VERSION} > ${PROJECT_BINARY_DIR}/man/${target}.${section}
    COMMAND gzip -9nf ${PROJECT_BINARY_DIR}/man/${target}.${section}
    DEPENDS ${target} ${PROJECT_SOURCE_DIR}/scripts/render-help
    COMMENT "man page ${target}(${section})"
    VERBATIM)
  add_custom_target(${target}_man ALL DEPENDS ${out})
  install(FILES ${out} DESTINATION ${CMAKE_INSTALL_MANDIR}/man${section} COMPONENT ${component})
endfunction()

# The release date (man pages, the Debian changelog), so rebuilding gives the same bytes.
set(ET_SOURCE_DATE_EPOCH 1796256000)
set(ET_RELEASE_DATE "Thu, 03 Dec 2026 00:00:00 +0000")
set(CPACK_PACKAGE_CONTACT "edgetrace maintainers <maintainers@edgetrace.invalid>")

# Each package's /usr/share/doc/<package>: copyright, the Debian changelog (changelog.gz,
# native packages: one entry per version) and the project's CHANGELOG.md.gz.
set(ET_CHANGELOG_GZ ${PROJECT_BINARY_DIR}/package/CHANGELOG.md.gz)
add_custom_command(OUTPUT ${ET_CHANGELOG_GZ}
  COMMAND ${CMAKE_COMMAND} -E make_directory ${PROJECT_BINARY_DIR}/package
  COMMAND gzip -9nc ${PROJECT_SOURCE_DIR}/CHANGELOG.md > ${ET_CHANGELOG_GZ}
  DEPENDS ${PROJECT_SOURCE_DIR}/CHANGELOG.md
  VERBATIM)
add_custom_target(edgetrace_changelog ALL DEPENDS ${ET_CHANGELOG_GZ})
function(et_package_docs package component)
  set(debian_changelog ${PROJECT_BINARY_DIR}/package/${package}/changelog)
  file(WRITE ${debian_changelog}
    "${package} (${PROJECT_VERSION}) unstable; urgency=medium\n\n"
    "  * edgetrace ${PROJECT_VERSION}; the changes are in CHANGELOG.md.gz.\n\n"
    " -- ${CPACK_PACKAGE_CONTACT}  ${ET_RELEASE_DATE}\n")
  add_custom_command(OUTPUT ${debian_changelog}.gz
    COMMAND gzip -9nkf ${debian_changelog}
    DEPENDS ${debian_changelog}
    VERBATIM)
  add_custom_target(${package}_debian_changelog ALL DEPENDS ${debian_changelog}.gz)
  install(FILES ${PROJECT_SOURCE_DIR}/cmake/package/debian/copyright ${ET_CHANGELOG_GZ}
                ${debian_changelog}.gz
          DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/${package} COMPONENT ${component})
endfunction()

if(EDGETRACE_BUILD_APPS)
  install(TARGETS edgetraced RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT edgetraced)
  install(TARGETS edgetrace edgetrace-sim RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
          COMPONENT cli)
  et_man_page(edgetraced 8 "device streams and OTLP to OpenTelemetry backends" edgetraced)
  et_man_page(edgetrace 1 "symbol store, decoder and W3C context tools" cli)
  et_man_page(edgetrace-sim 1 "simulated devices streaming the device wire format" cli)

  # The unit and the config, with the paths of the prefix in effect at install time.
  install(CODE "${ET_INSTALL_PATHS_CODE}
    set(ET_BINDIR \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_BINDIR}\")
    configure_file(\"${PROJECT_SOURCE_DIR}/deploy/edgetraced.service.in\"
                   \"${PROJECT_BINARY_DIR}/package/edgetraced.service\" @ONLY)
    file(INSTALL DESTINATION \"\${ET_UNITDIR}\" TYPE FILE
         FILES \"${PROJECT_BINARY_DIR}/package/edgetraced.service\")
    file(INSTALL DESTINATION \"\${ET_SYSCONFDIR}/edgetrace\" TYPE FILE
         FILES \"${PROJECT_SOURCE_DIR}/deploy/edgetraced.toml\")"
    COMPONENT edgetraced)
  install(FILES ${PROJECT_SOURCE_DIR}/examples/demo/edgetraced.toml
          DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/edgetraced/examples COMPONENT edgetraced)
  et_package_docs(edgetraced edgetraced)
  et_package_docs(edgetrace-cli cli)
endif()
et_package_docs(libedgetrace-dev dev)
install(FILES ${PROJECT_SOURCE_DIR}/examples/edgetrace.toml
        DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/libedgetrace-dev/examples COMPONENT dev)

set(CPACK_PACKAGE_NAME edgetrace)
set(CPACK_PACKAGE_VENDOR "the edgetrace authors")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_GENERATOR DEB)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL dev)
if(EDGETRACE_BUILD_APPS)
  list(APPEND CPACK_COMPONENTS_ALL edgetraced cli)
endif()
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_DEBIAN_COMPRESSION_TYPE gzip)

set(CPACK_DEBIAN_EDGETRACED_PACKAGE_NAME edgetraced)
set(CPACK_DEBIAN_EDGETRACED_PACKAGE_SECTION net)
set(CPACK_DEBIAN_EDGETRACED_PACKAGE_DEPENDS adduser)
set(CPACK_DEBIAN_EDGETRACED_PACKAGE_CONTROL_EXTRA
  ${PROJECT_SOURCE_DIR}/cmake/package/debian/edgetraced/postinst
  ${PROJECT_SOURCE_DIR}/cmake/package/debian/edgetraced/postrm
  ${PROJECT_SOURCE_DIR}/cmake/package/debian/edgetraced/conffiles)
set(CPACK_COMPONENT_EDGETRACED_DESCRIPTION
  "device streams and OTLP to OpenTelemetry backends
edgetraced receives device log and trace streams over TCP, MQTT, HTTP and
serial, decodes them with the firmware's ELF from its symbol store, rebuilds
their traces and delivers OTLP through a durable queue. It is also an OTLP
gateway (receivers and an authenticated proxy for browsers and phones) and
stores traces itself, with a web viewer and the Jaeger query API.
The systemd unit is installed but not enabled.")

set(CPACK_DEBIAN_CLI_PACKAGE_NAME edgetrace-cli)
set(CPACK_DEBIAN_CLI_PACKAGE_SECTION devel)
set(CPACK_COMPONENT_CLI_DESCRIPTION
  "edgetrace command-line tools: symbol store, decoder, simulator
edgetrace uploads firmware ELF files to a symbol store by build-id, decodes
captured or live device streams into readable logs or OTLP, and prints W3C
trace context headers. edgetrace-sim runs simulated devices streaming the
device wire format.")

set(CPACK_DEBIAN_DEV_PACKAGE_NAME libedgetrace-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS "libfmt-dev")
set(CPACK_DEBIAN_DEV_PACKAGE_SUGGESTS
  "libprotobuf-dev, libgrpc++-dev, libcurl4-openssl-dev | libcurl-dev, zlib1g-dev, libre2-dev, libsimdjson-dev, libelf-dev, pkg-config, libboost-dev, libcpp-httplib-dev, gcc-arm-none-eabi")
set(CPACK_COMPONENT_DEV_DESCRIPTION
  "edgetrace SDK and libraries: headers, static libraries, CMake package
The instrumentation SDK for C++ services (spans, structured events, console,
file, JSON and OTLP layers, samplers, W3C propagation), the OTLP codec, the
device stream decoder and the freestanding firmware library's sources.
find_package(edgetrace COMPONENTS sdk) needs only libfmt-dev; the sdk_otlp,
otlp and decoder components need the suggested packages.")

include(CPack)
