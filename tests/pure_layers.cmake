# The pure layers (quorum, tracker, confchange) and their tests. Included
# from tests/CMakeLists.txt.

craft_add_test(craft_pure_layers_test SOURCES
  quorum/quorum_test.cc)
