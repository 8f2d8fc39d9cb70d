// The compiled parts of Asio and Beast, built once for the whole program
// (BOOST_*_SEPARATE_COMPILATION is set for every user of the http module).
#include <boost/asio/impl/src.hpp>
#include <boost/beast/src.hpp>
