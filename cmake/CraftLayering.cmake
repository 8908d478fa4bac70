# craft_check_layer_includes(): fails the configuration when a layer of
# src/ includes a header of a layer it does not build on.
#
# The per-layer link check (src/CMakeLists.txt) catches a call into a layer
# above; this catches what the linker cannot see: a wrong-way #include whose
# use is all inline or templates. It reads the #include "..." lines of each
# layer's sources and of its headers (those in src/<folder>/ and
# include/craft/<folder>/, and the public headers it owns), and maps each
# included header to its layer by folder: src/<folder>/...,
# craft/<folder>/..., and the public headers of a layer (craft/raw_node.h
# and craft/node_status.h, craft/node.h, craft/describe.h,
# craft/memory_storage.h). Base, the shared vocabulary, and headers of no
# layer (util/, the other public headers, external libraries) may be
# included anywhere, except the test hooks (testing/, craft/testing/),
# which the shipped layers may not include at all.
#
# It runs when CMake configures, as every CI run does from scratch; an
# incremental build that only adds an include meets it at the next
# configure.
#
# Expects CRAFT_LAYERS and, per layer, the target craft_layer_<name> with
# its SOURCES and CRAFT_LAYER_DEPS.

# Sets `out` to the layer of the included `path`, "<testing>" for the test
# hooks, or "" for a header of no layer. Reads _craft_folder_<folder>, set
# by the caller for every folder that holds a layer's sources.
function(_craft_layer_of_include path out)
  set(layer "")
  set(rest "${path}")
  if(rest MATCHES "^craft/(.*)$")
    set(rest "${CMAKE_MATCH_1}")
    if(rest MATCHES "^([a-z_]+)\\.h$")
      # (Not in the same condition: ${CMAKE_MATCH_1} would be expanded
      # before this match sets it.)
      if(DEFINED _craft_public_${CMAKE_MATCH_1})
        set(layer "${_craft_public_${CMAKE_MATCH_1}}")
      endif()
    endif()
  endif()
  if(layer STREQUAL "" AND rest MATCHES "^([a-z_]+)/")
    set(folder "${CMAKE_MATCH_1}")
    if(folder STREQUAL "testing")
      set(layer "<testing>")
    elseif(DEFINED _craft_folder_${folder})
      set(layer "${_craft_folder_${folder}}")
    endif()
  endif()
  set(${out} "${layer}" PARENT_SCOPE)
endfunction()

# The public headers that belong to a layer (the others are base's), as
# header-name/layer pairs; _craft_public_<name> holds each one's layer.
set(_craft_public_headers raw_node/raw_node node_status/raw_node node/node
  describe/describe memory_storage/storage)
foreach(pair IN LISTS _craft_public_headers)
  string(REPLACE "/" ";" pair "${pair}")
  list(GET pair 0 name)
  list(GET pair 1 layer)
  set(_craft_public_${name} ${layer})
endforeach()
unset(name)
unset(layer)

function(craft_check_layer_includes)
  set(src "${PROJECT_SOURCE_DIR}/src")
  set(public "${PROJECT_SOURCE_DIR}/include/craft")
  # The layer of each folder, from where its sources are.
  foreach(layer IN LISTS CRAFT_LAYERS)
    get_target_property(sources craft_layer_${layer} SOURCES)
    foreach(s IN LISTS sources)
      get_filename_component(dir "${s}" DIRECTORY)
      if(NOT dir STREQUAL "")
        set(_craft_folder_${dir} ${layer})
      endif()
    endforeach()
  endforeach()

  set(violations "")
  foreach(layer IN LISTS CRAFT_LAYERS)
    get_target_property(deps craft_layer_${layer} CRAFT_LAYER_DEPS)
    if(NOT deps)
      set(deps "")
    endif()
    set(allowed ${layer} base ${deps})
    get_target_property(sources craft_layer_${layer} SOURCES)
    set(files "")
    foreach(s IN LISTS sources)
      list(APPEND files "${src}/${s}")
      get_filename_component(dir "${s}" DIRECTORY)
      if(NOT dir STREQUAL "")
        file(GLOB headers "${src}/${dir}/*.h"
          "${public}/${dir}/*.h")
        list(APPEND files ${headers})
      endif()
    endforeach()
    foreach(pair IN LISTS _craft_public_headers)
      string(REGEX REPLACE "/.*$" "" name "${pair}")
      if(_craft_public_${name} STREQUAL layer)
        list(APPEND files "${public}/${name}.h")
      endif()
    endforeach()
    list(REMOVE_DUPLICATES files)
    foreach(f IN LISTS files)
      file(STRINGS "${f}" includes
        REGEX "^[ \t]*#[ \t]*include[ \t]*\"[^\"]+\"")
      foreach(line IN LISTS includes)
        string(REGEX REPLACE "^[ \t]*#[ \t]*include[ \t]*\"([^\"]+)\".*$"
          "\\1" path "${line}")
        _craft_layer_of_include("${path}" to)
        if(to STREQUAL "")
          continue()
        endif()
        list(FIND allowed "${to}" i)
        if(i LESS 0)
          file(RELATIVE_PATH rel "${PROJECT_SOURCE_DIR}" "${f}")
          string(APPEND violations
            "\n  ${rel} (layer ${layer}) includes ${path} (layer ${to})")
        endif()
      endforeach()
    endforeach()
  endforeach()
  if(NOT violations STREQUAL "")
    message(FATAL_ERROR "includes against the layering (see "
      "src/CMakeLists.txt for what each layer builds on):${violations}")
  endif()
endfunction()
