# embed.cmake: writes a .lua file into a C source as one string constant, so the service carries
# its Redis functions without C string macros of Lua.
#   cmake -DIN=<file.lua> -DOUT=<file.c> -DNAME=<C identifier> -DHEADER=<header> -P embed.cmake
# The .c defines `const char NAME[]` (declared in HEADER); one string literal per source line.
file(READ "${IN}" text)
string(REPLACE "\\" "\\\\" text "${text}")
string(REPLACE "\"" "\\\"" text "${text}")
string(REPLACE "?" "\\?" text "${text}")
string(REPLACE "\t" "\\t" text "${text}")
string(REGEX REPLACE "\n$" "" text "${text}")
string(REPLACE "\n" "\\n\"\n    \"" text "${text}")
get_filename_component(src "${IN}" NAME)
file(WRITE "${OUT}.tmp"
  "/* Generated from ${src} by embed.cmake: do not edit. */\n"
  "#include \"${HEADER}\"\n\n"
  "const char ${NAME}[] =\n    \"${text}\\n\";\n")
file(RENAME "${OUT}.tmp" "${OUT}")
