// Precompiled for the http module and its tests: the Boost headers dominate compile time.
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
