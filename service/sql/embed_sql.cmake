# embed_sql.cmake: turns store.sql into the store's statement table, so the service carries its
# SQL as SQL, without C string literals of it.
#   cmake -DIN=<store.sql> -DOUT_C=<store_sql.c> -DOUT_H=<store_sql.h> -P embed_sql.cmake
# OUT_H declares enum store_stmt_id: STORE_ST_<NAME> per statement in file order, then
# STORE_ST_COUNT_. OUT_C defines store_stmts[], the row {name, write, text} of each id.
# In IN, "-- statement NAME" starts a statement ("-- statement NAME write": it changes data) and
# "-- part NAME" text that statements take in as @NAME@; other lines starting with "--", and
# empty lines, are dropped; the rest are stripped and joined with single spaces.
cmake_policy(VERSION 3.18)
file(READ "${IN}" sql_text)
# Split into a CMake list of lines; the characters lists treat specially stand aside as
# placeholders until the text is written.
string(REPLACE "\\" "<sql-backslash>" sql_text "${sql_text}")
string(REPLACE ";" "<sql-semicolon>" sql_text "${sql_text}")
string(REPLACE "[" "<sql-open>" sql_text "${sql_text}")
string(REPLACE "]" "<sql-close>" sql_text "${sql_text}")
string(REPLACE "\n" ";" sql_lines "${sql_text}")

set(sql_kind "")
set(sql_statements "")
set(sql_parts "")
foreach(sql_line IN LISTS sql_lines)
  string(STRIP "${sql_line}" sql_line)
  if(sql_line MATCHES "^-- (statement|part) ([a-z_]+)( write)?$")
    set(sql_kind "${CMAKE_MATCH_1}")
    set(sql_name "${CMAKE_MATCH_2}")
    set(sql_${sql_kind}_${sql_name} "")
    list(APPEND sql_${sql_kind}s ${sql_name})
    if(CMAKE_MATCH_3)
      set(sql_write_${sql_name} 1)
    else()
      set(sql_write_${sql_name} 0)
    endif()
  elseif(sql_line STREQUAL "" OR sql_line MATCHES "^--")
    continue()
  elseif(sql_kind STREQUAL "")
    message(FATAL_ERROR "${IN}: SQL before the first \"-- statement\" or \"-- part\" line")
  elseif("${sql_${sql_kind}_${sql_name}}" STREQUAL "")
    set(sql_${sql_kind}_${sql_name} "${sql_line}")
  else()
    string(APPEND sql_${sql_kind}_${sql_name} " ${sql_line}")
  endif()
endforeach()

get_filename_component(sql_src "${IN}" NAME)
string(CONCAT sql_h "/* Generated from ${sql_src} by embed_sql.cmake: do not edit. */\n"
  "#ifndef SVC_STORE_SQL_H\n#define SVC_STORE_SQL_H\n\n"
  "/* The statements of ${sql_src}, in its order. */\nenum store_stmt_id {\n")
string(CONCAT sql_c "/* Generated from ${sql_src} by embed_sql.cmake: do not edit. */\n"
  "#include \"store_conn.h\"\n\nconst struct store_stmt store_stmts[STORE_ST_COUNT_] = {\n")
foreach(sql_name IN LISTS sql_statements)
  set(sql_body "${sql_statement_${sql_name}}")
  foreach(sql_part IN LISTS sql_parts)
    string(REPLACE "@${sql_part}@" "${sql_part_${sql_part}}" sql_body "${sql_body}")
  endforeach()
  if(sql_body MATCHES "@([a-z_]*)@")
    message(FATAL_ERROR "${IN}: statement ${sql_name} takes in an unknown part @${CMAKE_MATCH_1}@")
  endif()
  string(REPLACE "<sql-backslash>" "\\" sql_body "${sql_body}")
  string(REPLACE "\\" "\\\\" sql_body "${sql_body}")
  string(REPLACE "<sql-semicolon>" ";" sql_body "${sql_body}")
  string(REPLACE "<sql-open>" "[" sql_body "${sql_body}")
  string(REPLACE "<sql-close>" "]" sql_body "${sql_body}")
  string(REPLACE "\"" "\\\"" sql_body "${sql_body}")
  string(REPLACE "?" "\\?" sql_body "${sql_body}")
  string(TOUPPER "${sql_name}" sql_id)
  string(APPEND sql_h "    STORE_ST_${sql_id},\n")
  string(APPEND sql_c "    [STORE_ST_${sql_id}] = {\"${sql_name}\", ${sql_write_${sql_name}},\n"
    "        \"${sql_body}\"},\n")
endforeach()
string(APPEND sql_h "    STORE_ST_COUNT_\n};\n\n#endif\n")
string(APPEND sql_c "};\n")
file(WRITE "${OUT_H}.tmp" "${sql_h}")
file(WRITE "${OUT_C}.tmp" "${sql_c}")
file(RENAME "${OUT_H}.tmp" "${OUT_H}")
file(RENAME "${OUT_C}.tmp" "${OUT_C}")
