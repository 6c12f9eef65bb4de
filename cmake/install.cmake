# Install layout and the Debian package (scripts/package.sh):
#   bin/changewatch
#   share/changewatch/viewer/        index.html, *.js, *.css, vendor/leaflet/ (leaflet.js, its
#                                    map, leaflet.css, images/ and LICENSE, copied from
#                                    viewer/node_modules at build time)
#   share/changewatch/configs/       the demo and the annotated example config
# `serve` finds share/changewatch/viewer relative to its executable (serve/viewer_location.hpp).
# npm is a build-time dependency only: nothing is downloaded when changewatch runs.

option(CW_VIEWER_ASSETS "Copy Leaflet from viewer/node_modules at build time (runs scripts/viewer-setup.sh, npm ci, when missing) and install the viewer" ON)

install(TARGETS changewatch RUNTIME DESTINATION bin)
install(FILES configs/demo.yaml configs/example.yaml DESTINATION share/changewatch/configs)

if(CW_VIEWER_ASSETS)
  set(CW_LEAFLET_NPM ${CMAKE_SOURCE_DIR}/viewer/node_modules/leaflet)
  set(CW_LEAFLET_STAGE ${CMAKE_BINARY_DIR}/viewer-vendor/leaflet)
  # viewer-setup.sh does nothing when node_modules matches package-lock.json.
  add_custom_command(
    OUTPUT ${CW_LEAFLET_STAGE}/leaflet.js
    COMMAND ${CMAKE_SOURCE_DIR}/scripts/viewer-setup.sh
    COMMAND ${CMAKE_COMMAND} -E rm -rf ${CW_LEAFLET_STAGE}
    COMMAND ${CMAKE_COMMAND} -E copy_directory ${CW_LEAFLET_NPM}/dist/images ${CW_LEAFLET_STAGE}/images
    COMMAND ${CMAKE_COMMAND} -E copy ${CW_LEAFLET_NPM}/dist/leaflet.js ${CW_LEAFLET_NPM}/dist/leaflet.js.map
            ${CW_LEAFLET_NPM}/dist/leaflet.css ${CW_LEAFLET_NPM}/LICENSE ${CW_LEAFLET_STAGE}
    DEPENDS ${CMAKE_SOURCE_DIR}/viewer/package-lock.json ${CMAKE_SOURCE_DIR}/scripts/viewer-setup.sh
    COMMENT "viewer: copying Leaflet from viewer/node_modules"
    VERBATIM)
  add_custom_target(viewer_assets ALL DEPENDS ${CW_LEAFLET_STAGE}/leaflet.js)
  # Every page file of viewer/ (index.html, its scripts and stylesheets), so a new script is
  # installed without an edit here; package*.json and node_modules are build inputs.
  file(GLOB CW_VIEWER_PAGE_FILES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/viewer/*.html
       ${CMAKE_SOURCE_DIR}/viewer/*.js ${CMAKE_SOURCE_DIR}/viewer/*.css)
  install(FILES ${CW_VIEWER_PAGE_FILES} DESTINATION share/changewatch/viewer)
  install(DIRECTORY ${CW_LEAFLET_STAGE}/ DESTINATION share/changewatch/viewer/vendor/leaflet)
endif()

# changewatch_<version>_amd64.deb; Depends computed by dpkg-shlibdeps from the binary's libraries.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME changewatch)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "Satellite-imagery change detection and object counting for sanctions monitoring")
set(CPACK_PACKAGE_CONTACT "changewatch maintainers <changewatch@localhost>")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION science)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# submit/status/unschedule drive Slurm's command-line tools when present.
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "slurm-client")
set(CPACK_STRIP_FILES ON)
set(CPACK_OUTPUT_FILE_PREFIX ${CMAKE_BINARY_DIR}/package)
include(CPack)
