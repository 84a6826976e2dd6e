# mlbox_embed_files(TARGET OUTPUT FILES...): generate OUTPUT, a C++ file defining
# mlbox::embedded_file(name) over the given files (keyed by file name).
function(mlbox_embed_files target output)
  string(REPLACE ";" "|" files_arg "${ARGN}")
  add_custom_command(
    OUTPUT ${output}
    COMMAND ${CMAKE_COMMAND} -DOUTPUT=${output} "-DFILES=${files_arg}"
            -P ${CMAKE_SOURCE_DIR}/cmake/EmbedScript.cmake
    DEPENDS ${ARGN} ${CMAKE_SOURCE_DIR}/cmake/EmbedScript.cmake
    COMMENT "Embedding templates"
    VERBATIM)
  add_custom_target(${target} DEPENDS ${output})
endfunction()
