// The entry point of the layering checks (src/CMakeLists.txt): each check
// executable links one layer with the layers it declares and does nothing.
int main() { return 0; }
