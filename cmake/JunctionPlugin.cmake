# junction_add_plugin(<target> SOURCES ...): a bundled plugin, a MODULE library
# named exactly like its target, placed where junctiond looks by default.
function(junction_add_plugin target)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBRARIES" ${ARGN})
  add_library(${target} MODULE ${ARG_SOURCES})
  target_link_libraries(${target} PRIVATE Junction::sdk ${ARG_LIBRARIES})
  set_target_properties(${target} PROPERTIES
    PREFIX ""
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON
    LIBRARY_OUTPUT_DIRECTORY ${JUNCTION_PLUGIN_OUTPUT_DIR}
    INSTALL_RPATH "$ORIGIN/../..")
  install(TARGETS ${target} LIBRARY DESTINATION ${JUNCTION_PLUGIN_SUBDIR})
  set_property(GLOBAL APPEND PROPERTY JUNCTION_BUNDLED_PLUGINS ${target})
endfunction()
