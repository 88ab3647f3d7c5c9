#include "rtl/format.hpp"

#include <cstdio>
#include <climits>
#include <string_view>
#include <type_traits>

#include <ntdef.h>

#include "rtl/charset.hpp"

namespace wdmlab::rtl {

namespace {

enum class IntegerSize : std::uint8_t { Char, Short, Int, Int64 };
enum class CharWidth : std::uint8_t { Unspecified, Narrow, Wide };

struct Spec {
  bool left = false;
  bool plus = false;
  bool space = false;
  bool alternate = false;
  bool zero = false;
  std::size_t width = 0;
  long long precision = -1;  // -1: none
  IntegerSize size = IntegerSize::Int;
  CharWidth char_width = CharWidth::Unspecified;
  bool long_double = false;
};

template <class Char>
constexpr std::basic_string_view<Char> null_text() {
  if constexpr (sizeof(Char) == 1) {
    return "(null)";
  } else {
    return u"(null)";
  }
}

template <class Char>
class Formatter {
 public:
  Formatter(Char* out, std::size_t capacity, FormatDialect dialect)
      : out_(out), capacity_(capacity), dialect_(dialect) {}

  FormatResult run(const Char* format, std::va_list args) {
    va_copy(args_, args);
    const bool valid = format_all(format);
    va_end(args_);
    if (!valid) return FormatResult{0, false};
    return FormatResult{length_, true};
  }

 private:
  static constexpr bool kWideFormat = sizeof(Char) == 2;

  void put(Char c) {
    if (length_ < capacity_) out_[length_] = c;
    ++length_;
  }
  void put_repeat(Char c, std::size_t count) {
    while (count != 0 && length_ < capacity_) {
      out_[length_++] = c;
      --count;
    }
    length_ += count;
  }
  void put_text(std::basic_string_view<Char> text) {
    for (Char c : text) put(c);
  }

  // One field: [spaces][prefix][zeros][precision zeros][body][spaces], as Microsoft's printf lays it out.
  void emit(const Spec& spec, bool zero_pad_allowed, std::basic_string_view<Char> prefix, std::size_t precision_zeros,
            std::basic_string_view<Char> body) {
    const std::size_t content = prefix.size() + precision_zeros + body.size();
    const std::size_t padding = spec.width > content ? spec.width - content : 0;
    const bool zero_pad = spec.zero && zero_pad_allowed && !spec.left;
    if (!spec.left && !zero_pad) put_repeat(Char(' '), padding);
    put_text(prefix);
    if (zero_pad) put_repeat(Char('0'), padding);
    put_repeat(Char('0'), precision_zeros);
    put_text(body);
    if (spec.left) put_repeat(Char(' '), padding);
  }

  static Char narrow_to_output(char c) {
    if constexpr (kWideFormat) {
      return static_cast<Char>(charset::ansi_to_unicode(static_cast<unsigned char>(c)));
    } else {
      return c;
    }
  }
  static Char wide_to_output(char16_t c) {
    if constexpr (kWideFormat) {
      return static_cast<Char>(c);
    } else {
      return static_cast<Char>(charset::unicode_to_ansi(c));
    }
  }

  // Whether a %c/%s argument is wide: h narrows, l/w widen, otherwise the conversion's case decides.
  static bool wide_argument(const Spec& spec, bool upper_case) {
    if (spec.char_width == CharWidth::Narrow) return false;
    if (spec.char_width == CharWidth::Wide) return true;
    return upper_case ? !kWideFormat : kWideFormat;
  }

  std::uint64_t unsigned_argument(IntegerSize size) {
    switch (size) {
      case IntegerSize::Char:
        return static_cast<unsigned char>(va_arg(args_, int));
      case IntegerSize::Short:
        return static_cast<unsigned short>(va_arg(args_, int));
      case IntegerSize::Int:
        return va_arg(args_, unsigned int);
      case IntegerSize::Int64:
        return va_arg(args_, unsigned long long);
    }
    return 0;
  }
  std::int64_t signed_argument(IntegerSize size) {
    switch (size) {
      case IntegerSize::Char:
        return static_cast<signed char>(va_arg(args_, int));
      case IntegerSize::Short:
        return static_cast<short>(va_arg(args_, int));
      case IntegerSize::Int:
        return va_arg(args_, int);
      case IntegerSize::Int64:
        return va_arg(args_, long long);
    }
    return 0;
  }

  void format_integer(const Spec& spec, Char conversion) {
    const bool is_signed = conversion == Char('d') || conversion == Char('i');
    std::uint64_t magnitude = 0;
    bool negative = false;
    if (is_signed) {
      const std::int64_t value = signed_argument(spec.size);
      negative = value < 0;
      magnitude = negative ? 0 - static_cast<std::uint64_t>(value) : static_cast<std::uint64_t>(value);
    } else {
      magnitude = unsigned_argument(spec.size);
    }
    const unsigned base = conversion == Char('o') ? 8 : (conversion == Char('x') || conversion == Char('X')) ? 16 : 10;
    const char* digits_of = conversion == Char('X') ? "0123456789ABCDEF" : "0123456789abcdef";

    Char digits[24];
    std::size_t count = 0;
    for (std::uint64_t v = magnitude; v != 0; v /= base) digits[count++] = Char(digits_of[v % base]);
    if (count == 0 && spec.precision != 0) digits[count++] = Char('0');
    Char body[24];
    for (std::size_t i = 0; i < count; ++i) body[i] = digits[count - 1 - i];

    std::size_t precision_zeros = 0;
    if (spec.precision > 0 && static_cast<std::uint64_t>(spec.precision) > count) {
      precision_zeros = static_cast<std::size_t>(spec.precision) - count;
    }
    Char prefix[2];
    std::size_t prefix_length = 0;
    if (is_signed) {
      if (negative) {
        prefix[prefix_length++] = Char('-');
      } else if (spec.plus) {
        prefix[prefix_length++] = Char('+');
      } else if (spec.space) {
        prefix[prefix_length++] = Char(' ');
      }
    } else if (spec.alternate && base == 16 && magnitude != 0) {
      prefix[prefix_length++] = Char('0');
      prefix[prefix_length++] = conversion;
    } else if (spec.alternate && base == 8 && precision_zeros == 0 && (count == 0 || body[0] != Char('0'))) {
      precision_zeros = 1;
    }
    emit(spec, spec.precision < 0, {prefix, prefix_length}, precision_zeros, {body, count});
  }

  void format_pointer(const Spec& spec) {
    const auto value = reinterpret_cast<std::uintptr_t>(va_arg(args_, void*));
    Char body[16];
    for (std::size_t i = 0; i < 16; ++i) body[i] = Char("0123456789ABCDEF"[(value >> (60 - 4 * i)) & 0xF]);
    emit(spec, true, {}, 0, {body, 16});
  }

  void format_character(const Spec& spec, bool upper_case) {
    Char c;
    if (wide_argument(spec, upper_case)) {
      c = wide_to_output(static_cast<char16_t>(va_arg(args_, int)));
    } else {
      c = narrow_to_output(static_cast<char>(va_arg(args_, int)));
    }
    emit(spec, true, {}, 0, {&c, 1});
  }

  // Characters [text, text + count) of a narrow or wide source, converted to the output width.
  template <class Source>
  void emit_converted(const Spec& spec, const Source* text, std::size_t count) {
    if constexpr (std::is_same_v<Source, Char>) {
      emit(spec, true, {}, 0, {text, count});
    } else {
      std::basic_string<Char> converted;
      converted.reserve(count);
      for (std::size_t i = 0; i < count; ++i) {
        if constexpr (sizeof(Source) == 1) {
          converted.push_back(narrow_to_output(text[i]));
        } else {
          converted.push_back(wide_to_output(text[i]));
        }
      }
      emit(spec, true, {}, 0, converted);
    }
  }

  template <class Source>
  static std::size_t bounded_length(const Source* text, long long precision) {
    std::size_t n = 0;
    while ((precision < 0 || n < static_cast<std::size_t>(precision)) && text[n] != Source(0)) ++n;
    return n;
  }

  void format_string(const Spec& spec, bool upper_case) {
    const void* pointer = va_arg(args_, const void*);
    if (pointer == nullptr) {
      const auto text = null_text<Char>();
      const std::size_t n = spec.precision >= 0 && static_cast<std::size_t>(spec.precision) < text.size()
                                ? static_cast<std::size_t>(spec.precision)
                                : text.size();
      emit(spec, true, {}, 0, text.substr(0, n));
      return;
    }
    if (wide_argument(spec, upper_case)) {
      const auto* text = static_cast<const char16_t*>(pointer);
      emit_converted(spec, text, bounded_length(text, spec.precision));
    } else {
      const auto* text = static_cast<const char*>(pointer);
      emit_converted(spec, text, bounded_length(text, spec.precision));
    }
  }

  void format_counted_string(const Spec& spec) {
    const void* pointer = va_arg(args_, const void*);
    if (spec.char_width == CharWidth::Wide) {
      const auto* string = static_cast<const UNICODE_STRING*>(pointer);
      if (string == nullptr || string->Buffer == nullptr) {
        emit(spec, true, {}, 0, null_text<Char>());
      } else {
        emit_converted(spec, reinterpret_cast<const char16_t*>(string->Buffer), string->Length / sizeof(WCHAR));
      }
    } else {
      const auto* string = static_cast<const ANSI_STRING*>(pointer);
      if (string == nullptr || string->Buffer == nullptr) {
        emit(spec, true, {}, 0, null_text<Char>());
      } else {
        emit_converted(spec, string->Buffer, string->Length);
      }
    }
  }

  void format_floating(const Spec& spec, Char conversion) {
    const long double value = spec.long_double ? va_arg(args_, long double) : va_arg(args_, double);
    if (dialect_ == FormatDialect::DebugPrint) return;
    char c_format[32];
    std::size_t n = 0;
    c_format[n++] = '%';
    if (spec.left) c_format[n++] = '-';
    if (spec.plus) c_format[n++] = '+';
    if (spec.space) c_format[n++] = ' ';
    if (spec.alternate) c_format[n++] = '#';
    if (spec.zero) c_format[n++] = '0';
    c_format[n++] = '*';
    c_format[n++] = '.';
    c_format[n++] = '*';
    c_format[n++] = 'L';
    c_format[n++] = static_cast<char>(conversion);
    c_format[n] = '\0';
    const int width = static_cast<int>(spec.width);
    const int precision = static_cast<int>(spec.precision);  // negative: the conversion's default
    const int needed = std::snprintf(nullptr, 0, c_format, width, precision, value);
    if (needed <= 0) return;
    std::string text(static_cast<std::size_t>(needed) + 1, '\0');
    std::snprintf(text.data(), text.size(), c_format, width, precision, value);
    for (int i = 0; i < needed; ++i) put(Char(static_cast<unsigned char>(text[static_cast<std::size_t>(i)])));
  }

  static bool is_digit(Char c) { return c >= Char('0') && c <= Char('9'); }
  // Widths and precisions are ints in Microsoft's printf; larger ones saturate.
  static std::size_t clamp_count(std::size_t n) { return n > INT_MAX ? INT_MAX : n; }

  // Returns false if the format is rejected (%n in the SafeString dialect).
  bool format_all(const Char* p) {
    while (*p != Char(0)) {
      if (*p != Char('%')) {
        put(*p++);
        continue;
      }
      ++p;
      Spec spec;
      for (;; ++p) {
        if (*p == Char('-')) {
          spec.left = true;
        } else if (*p == Char('+')) {
          spec.plus = true;
        } else if (*p == Char(' ')) {
          spec.space = true;
        } else if (*p == Char('#')) {
          spec.alternate = true;
        } else if (*p == Char('0')) {
          spec.zero = true;
        } else {
          break;
        }
      }
      if (*p == Char('*')) {
        const int width = va_arg(args_, int);
        if (width < 0) {
          spec.left = true;
          spec.width = static_cast<std::size_t>(-static_cast<long long>(width));
        } else {
          spec.width = static_cast<std::size_t>(width);
        }
        ++p;
      } else {
        while (is_digit(*p)) spec.width = clamp_count(spec.width * 10 + static_cast<std::size_t>(*p++ - Char('0')));
      }
      if (*p == Char('.')) {
        ++p;
        if (*p == Char('*')) {
          const int precision = va_arg(args_, int);
          spec.precision = precision < 0 ? -1 : precision;
          ++p;
        } else {
          spec.precision = 0;
          while (is_digit(*p)) {
            spec.precision = static_cast<long long>(clamp_count(static_cast<std::size_t>(spec.precision) * 10 +
                                                                static_cast<std::size_t>(*p++ - Char('0'))));
          }
        }
      }
      for (bool more = true; more;) {
        switch (*p) {
          case Char('h'):
            ++p;
            spec.char_width = CharWidth::Narrow;
            if (*p == Char('h')) {
              spec.size = IntegerSize::Char;
              ++p;
            } else {
              spec.size = IntegerSize::Short;
            }
            break;
          case Char('l'):
            ++p;
            if (*p == Char('l')) {
              spec.size = IntegerSize::Int64;
              ++p;
            } else {
              spec.size = IntegerSize::Int;
              spec.char_width = CharWidth::Wide;
            }
            break;
          case Char('w'):
            ++p;
            spec.char_width = CharWidth::Wide;
            break;
          case Char('I'):
            ++p;
            if (p[0] == Char('6') && p[1] == Char('4')) {
              spec.size = IntegerSize::Int64;
              p += 2;
            } else if (p[0] == Char('3') && p[1] == Char('2')) {
              spec.size = IntegerSize::Int;
              p += 2;
            } else {
              spec.size = IntegerSize::Int64;
            }
            break;
          case Char('z'):
          case Char('j'):
          case Char('t'):
            ++p;
            spec.size = IntegerSize::Int64;
            break;
          case Char('L'):
            ++p;
            spec.size = IntegerSize::Int64;
            spec.long_double = true;
            break;
          default:
            more = false;
            break;
        }
      }
      const Char conversion = *p;
      if (conversion == Char(0)) break;
      ++p;
      switch (conversion) {
        case Char('d'):
        case Char('i'):
        case Char('u'):
        case Char('o'):
        case Char('x'):
        case Char('X'):
          format_integer(spec, conversion);
          break;
        case Char('p'):
          format_pointer(spec);
          break;
        case Char('c'):
        case Char('C'):
          format_character(spec, conversion == Char('C'));
          break;
        case Char('s'):
        case Char('S'):
          format_string(spec, conversion == Char('S'));
          break;
        case Char('Z'):
          format_counted_string(spec);
          break;
        case Char('e'):
        case Char('E'):
        case Char('f'):
        case Char('F'):
        case Char('g'):
        case Char('G'):
        case Char('a'):
        case Char('A'):
          format_floating(spec, conversion);
          break;
        case Char('n'):
          if (dialect_ == FormatDialect::SafeString) return false;
          (void)va_arg(args_, void*);
          break;
        default:
          put(conversion);
          break;
      }
    }
    return true;
  }

  Char* out_;
  std::size_t capacity_;
  FormatDialect dialect_;
  std::size_t length_ = 0;
  std::va_list args_;
};

}  // namespace

FormatResult format_narrow(char* out, std::size_t capacity, const char* format, std::va_list args,
                           FormatDialect dialect) {
  return Formatter<char>(out, capacity, dialect).run(format, args);
}

FormatResult format_wide(char16_t* out, std::size_t capacity, const char16_t* format, std::va_list args,
                         FormatDialect dialect) {
  return Formatter<char16_t>(out, capacity, dialect).run(format, args);
}

std::string format_to_string(const char* format, std::va_list args, FormatDialect dialect) {
  const FormatResult measured = format_narrow(nullptr, 0, format, args, dialect);
  std::string text(measured.length, '\0');
  format_narrow(text.data(), text.size(), format, args, dialect);
  return text;
}

}  // namespace wdmlab::rtl
