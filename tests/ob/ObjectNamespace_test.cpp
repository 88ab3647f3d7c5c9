// The object namespace: the standard directories, insert_name and lookup (collisions, a missing
// name against a missing path, bad syntax, case sensitivity), symbolic links (chains, a link in
// the middle of a path, loops, OBJ_OPENLINK), lookups stopping at an object whose type has a parse
// procedure and handing it the rest of the name, and names that go with their objects.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ob/object.hpp"
#include "object_names.hpp"
#include "support/lab_test.hpp"

namespace wdmlab::test {
namespace {

// A made-up object type whose objects parse the rest of a name, as device objects will.
struct Parsed {
  std::u16string complete_name;
  std::u16string remaining;
  int calls = 0;
};
Parsed g_parsed;

NTSTATUS parse_gadget(void* object, const ob::ParseRequest& request, ob::ParseOutcome& outcome) {
  g_parsed.complete_name = request.complete_name;
  g_parsed.remaining = request.remaining;
  ++g_parsed.calls;
  if (request.remaining == u"\\missing") return STATUS_OBJECT_NAME_NOT_FOUND;
  if (request.remaining == u"\\elsewhere") {
    outcome.reparse_name = u"\\KernelObjects\\Target";
    return STATUS_REPARSE;
  }
  ob::ObjectManager::require().reference(object);
  outcome.object = object;  // opens the gadget itself
  return STATUS_SUCCESS;
}

class ObjectNamespace : public ::testing::Test {
 protected:
  Lab lab{{.processors = 1, .seed = 1}};
  ob::ObjectManager& objects = ob::ObjectManager::require();

  // A new object of a plain type (no parse procedure) with its creation reference.
  void* new_plain_object() {
    if (plain_type_ == nullptr) plain_type_ = objects.create_type("Plain", nullptr, {}, 0x1F0001);
    return objects.create_object(plain_type_, 16);
  }
  void* new_gadget() {
    if (gadget_type_ == nullptr) {
      gadget_type_ = objects.create_type("Gadget", nullptr, {}, 0x1F0001);
      gadget_type_->parse_procedure = &parse_gadget;
    }
    g_parsed = Parsed{};
    return objects.create_object(gadget_type_, 16);
  }
  NTSTATUS lookup(std::u16string_view path, ULONG attributes, void** found = nullptr,
                  std::u16string* remaining = nullptr, _OBJECT_TYPE* open_type = nullptr) {
    ob::LookupResult result;
    const NTSTATUS status = objects.lookup(path, attributes, result, open_type);
    if (found != nullptr) *found = result.object;
    if (remaining != nullptr) *remaining = result.remaining;
    if (result.object != nullptr) objects.dereference(result.object);
    return status;
  }

 private:
  _OBJECT_TYPE* plain_type_ = nullptr;
  _OBJECT_TYPE* gadget_type_ = nullptr;
};

TEST_F(ObjectNamespace, TheStandardDirectoriesExistFromTheStart) {
  for (std::u16string_view path :
       {u"\\", u"\\Device", u"\\Driver", u"\\??", u"\\BaseNamedObjects", u"\\KernelObjects"}) {
    void* found = nullptr;
    EXPECT_EQ(lookup(path, 0, &found), STATUS_SUCCESS) << std::string(path.begin(), path.end());
    ASSERT_NE(found, nullptr);
    EXPECT_EQ(ob::header_of(found)->type, objects.directory_type());
  }
  void* dos_devices = nullptr;
  void* global = nullptr;
  void* question = nullptr;
  EXPECT_EQ(lookup(u"\\DosDevices", 0, &dos_devices), STATUS_SUCCESS);
  EXPECT_EQ(lookup(u"\\GLOBAL??", 0, &global), STATUS_SUCCESS);
  EXPECT_EQ(lookup(u"\\??", 0, &question), STATUS_SUCCESS);
  EXPECT_EQ(dos_devices, question);  // symbolic links to \??
  EXPECT_EQ(global, question);
  void* link = nullptr;
  EXPECT_EQ(lookup(u"\\DosDevices", OBJ_OPENLINK, &link), STATUS_SUCCESS);
  EXPECT_EQ(ob::header_of(link)->type, objects.symbolic_link_type());
  EXPECT_EQ(objects.link_target(link), u"\\??");
}

TEST_F(ObjectNamespace, InsertedNamesAreFoundAndKnownToTheirObjects) {
  void* object = new_plain_object();
  ASSERT_EQ(objects.insert_name(u"\\KernelObjects\\Widget", object), STATUS_SUCCESS);
  void* found = nullptr;
  std::u16string remaining = u"unset";
  EXPECT_EQ(lookup(u"\\KernelObjects\\Widget", 0, &found, &remaining), STATUS_SUCCESS);
  EXPECT_EQ(found, object);
  EXPECT_TRUE(remaining.empty());
  EXPECT_EQ(objects.name_of(object), u"\\KernelObjects\\Widget");
  EXPECT_EQ(objects.name_of(objects.root_directory()), u"\\");
  objects.remove_name(object);
  EXPECT_EQ(lookup(u"\\KernelObjects\\Widget", 0), STATUS_OBJECT_NAME_NOT_FOUND);
  EXPECT_TRUE(objects.name_of(object).empty());
  objects.dereference(object);
}

TEST_F(ObjectNamespace, ASecondObjectWithTheSameNameIsACollision) {
  void* first = new_plain_object();
  void* second = new_plain_object();
  ASSERT_EQ(objects.insert_name(u"\\KernelObjects\\Twin", first), STATUS_SUCCESS);
  EXPECT_EQ(objects.insert_name(u"\\KernelObjects\\Twin", second), STATUS_OBJECT_NAME_COLLISION);
  EXPECT_EQ(objects.insert_name(u"\\KernelObjects\\TWIN", second, OBJ_CASE_INSENSITIVE), STATUS_OBJECT_NAME_COLLISION);
  EXPECT_EQ(objects.insert_name(u"\\KernelObjects", second), STATUS_OBJECT_NAME_COLLISION);
  EXPECT_EQ(objects.insert_name(u"\\KernelObjects\\TWIN", second), STATUS_SUCCESS);  // case-sensitive: new
  objects.dereference(first);
  objects.dereference(second);
}

struct BadName {
  std::string name;
  std::u16string path;
  NTSTATUS lookup_status;
  NTSTATUS insert_status;
};

class ObjectNamespaceBadNames : public ObjectNamespace, public ::testing::WithParamInterface<BadName> {};

TEST_P(ObjectNamespaceBadNames, AreRefusedWithWindowsStatus) {
  const BadName& row = GetParam();
  EXPECT_EQ(lookup(row.path, 0), row.lookup_status);
  void* object = new_plain_object();
  EXPECT_EQ(objects.insert_name(row.path, object), row.insert_status);
  EXPECT_EQ(objects.name_of(object).empty(), !NT_SUCCESS(row.insert_status));
  objects.dereference(object);
}

INSTANTIATE_TEST_SUITE_P(
    Table, ObjectNamespaceBadNames,
    ::testing::Values(
        BadName{"LastComponentMissing", u"\\KernelObjects\\Nothing", STATUS_OBJECT_NAME_NOT_FOUND, STATUS_SUCCESS},
        BadName{"DirectoryOnTheWayMissing", u"\\NoSuchDirectory\\Thing", STATUS_OBJECT_PATH_NOT_FOUND,
                STATUS_OBJECT_PATH_NOT_FOUND},
        BadName{"Relative", u"KernelObjects\\Thing", STATUS_OBJECT_PATH_SYNTAX_BAD, STATUS_OBJECT_PATH_SYNTAX_BAD},
        BadName{"Empty", u"", STATUS_OBJECT_PATH_SYNTAX_BAD, STATUS_OBJECT_PATH_SYNTAX_BAD},
        BadName{"EmptyComponent", u"\\KernelObjects\\\\Thing", STATUS_OBJECT_NAME_INVALID, STATUS_OBJECT_NAME_INVALID},
        BadName{"TrailingBackslash", u"\\KernelObjects\\", STATUS_OBJECT_NAME_INVALID, STATUS_OBJECT_NAME_INVALID}),
    RowName());

TEST_F(ObjectNamespace, ANameOnlyMatchesInADifferentCaseWithObjCaseInsensitive) {
  void* object = new_plain_object();
  ASSERT_EQ(objects.insert_name(u"\\BaseNamedObjects\\MixedCase", object), STATUS_SUCCESS);
  void* found = nullptr;
  EXPECT_EQ(lookup(u"\\BaseNamedObjects\\mixedcase", 0), STATUS_OBJECT_NAME_NOT_FOUND);
  EXPECT_EQ(lookup(u"\\basenamedobjects\\MixedCase", 0), STATUS_OBJECT_PATH_NOT_FOUND);
  EXPECT_EQ(lookup(u"\\basenamedobjects\\MIXEDCASE", OBJ_CASE_INSENSITIVE, &found), STATUS_SUCCESS);
  EXPECT_EQ(found, object);
  objects.dereference(object);
}

TEST_F(ObjectNamespace, AComponentOnTheWayThatIsNeitherADirectoryNorParsableIsATypeMismatch) {
  void* object = new_plain_object();
  ASSERT_EQ(objects.insert_name(u"\\KernelObjects\\Leaf", object), STATUS_SUCCESS);
  EXPECT_EQ(lookup(u"\\KernelObjects\\Leaf\\Below", 0), STATUS_OBJECT_TYPE_MISMATCH);
  void* other = new_plain_object();
  EXPECT_EQ(objects.insert_name(u"\\KernelObjects\\Leaf\\Below", other), STATUS_OBJECT_TYPE_MISMATCH);
  objects.dereference(other);
  objects.dereference(object);
}

TEST_F(ObjectNamespace, SymbolicLinksAreFollowedInChainsAndInTheMiddleOfAPath) {
  void* object = new_plain_object();
  ASSERT_EQ(objects.insert_name(u"\\Device\\Thing0", object), STATUS_SUCCESS);
  void* first = nullptr;
  void* second = nullptr;
  ASSERT_EQ(objects.create_symbolic_link(u"\\??\\Thing", u"\\Device\\Thing0", 0, &first), STATUS_SUCCESS);
  ASSERT_EQ(objects.create_symbolic_link(u"\\??\\Alias", u"\\DosDevices\\Thing", 0, &second), STATUS_SUCCESS);
  void* found = nullptr;
  ob::LookupResult result;
  ASSERT_EQ(objects.lookup(u"\\GLOBAL??\\Alias", 0, result), STATUS_SUCCESS);  // four links deep
  EXPECT_EQ(result.object, object);
  EXPECT_EQ(result.complete_name, u"\\Device\\Thing0");
  objects.dereference(result.object);
  EXPECT_EQ(lookup(u"\\DosDevices\\Thing", 0, &found), STATUS_SUCCESS);
  EXPECT_EQ(found, object);
  EXPECT_EQ(lookup(u"\\??\\Alias", OBJ_OPENLINK, &found), STATUS_SUCCESS);  // the link itself
  EXPECT_EQ(found, second);
  EXPECT_EQ(lookup(u"\\??\\Alias", 0, &found, nullptr, objects.symbolic_link_type()), STATUS_SUCCESS);
  EXPECT_EQ(found, second);
  // A link to a directory in the middle of a path.
  void* directory_link = nullptr;
  ASSERT_EQ(objects.create_symbolic_link(u"\\??\\Devices", u"\\Device", 0, &directory_link), STATUS_SUCCESS);
  EXPECT_EQ(lookup(u"\\??\\Devices\\Thing0", 0, &found), STATUS_SUCCESS);
  EXPECT_EQ(found, object);
  EXPECT_EQ(lookup(u"\\??\\Devices\\Nothing", 0), STATUS_OBJECT_NAME_NOT_FOUND);
  for (void* link : {first, second, directory_link}) objects.dereference(link);  // unnamed as they go
  EXPECT_EQ(lookup(u"\\??\\Thing", 0), STATUS_OBJECT_NAME_NOT_FOUND);
  objects.dereference(object);
}

TEST_F(ObjectNamespace, ALinkLoopFailsWithReparsePointNotResolved) {
  ASSERT_EQ(objects.create_symbolic_link(u"\\KernelObjects\\Ping", u"\\KernelObjects\\Pong", OBJ_PERMANENT),
            STATUS_SUCCESS);
  ASSERT_EQ(objects.create_symbolic_link(u"\\KernelObjects\\Pong", u"\\KernelObjects\\Ping", OBJ_PERMANENT),
            STATUS_SUCCESS);
  ASSERT_EQ(objects.create_symbolic_link(u"\\KernelObjects\\Self", u"\\KernelObjects\\Self\\x", OBJ_PERMANENT),
            STATUS_SUCCESS);
  EXPECT_EQ(lookup(u"\\KernelObjects\\Ping", 0), STATUS_REPARSE_POINT_NOT_RESOLVED);
  EXPECT_EQ(lookup(u"\\KernelObjects\\Pong\\deeper", 0), STATUS_REPARSE_POINT_NOT_RESOLVED);
  EXPECT_EQ(lookup(u"\\KernelObjects\\Self", 0), STATUS_REPARSE_POINT_NOT_RESOLVED);
}

TEST_F(ObjectNamespace, AChainOfSixtyThreeLinksResolvesAndSixtyFourDoNot) {
  void* object = new_plain_object();
  ASSERT_EQ(objects.insert_name(u"\\KernelObjects\\End", object), STATUS_SUCCESS);
  std::u16string previous = u"\\KernelObjects\\End";
  for (int i = 1; i <= ob::ObjectManager::kMaxReparse + 1; ++i) {
    std::u16string name = u"\\KernelObjects\\Link";
    for (char digit : std::to_string(i)) name += static_cast<char16_t>(digit);
    ASSERT_EQ(objects.create_symbolic_link(name, previous, OBJ_PERMANENT), STATUS_SUCCESS);
    previous = name;
  }
  void* found = nullptr;
  EXPECT_EQ(lookup(u"\\KernelObjects\\Link63", 0, &found), STATUS_SUCCESS);
  EXPECT_EQ(found, object);
  EXPECT_EQ(lookup(u"\\KernelObjects\\Link64", 0), STATUS_REPARSE_POINT_NOT_RESOLVED);
  objects.dereference(object);
}

TEST_F(ObjectNamespace, LookupStopsAtAnObjectWithAParseProcedureAndReturnsTheRest) {
  void* gadget = new_gadget();
  ASSERT_EQ(objects.insert_name(u"\\Device\\Gadget0", gadget), STATUS_SUCCESS);
  ASSERT_EQ(objects.create_symbolic_link(u"\\??\\Gadget", u"\\Device\\Gadget0", OBJ_PERMANENT), STATUS_SUCCESS);
  void* found = nullptr;
  std::u16string remaining;
  EXPECT_EQ(lookup(u"\\Device\\Gadget0", 0, &found, &remaining), STATUS_SUCCESS);
  EXPECT_EQ(found, gadget);
  EXPECT_TRUE(remaining.empty());
  EXPECT_EQ(lookup(u"\\??\\Gadget\\sub", 0, &found, &remaining), STATUS_SUCCESS);
  EXPECT_EQ(found, gadget);
  EXPECT_EQ(remaining, u"\\sub");
  // The rest is the parse procedure's business, even where a directory walk would refuse it.
  EXPECT_EQ(lookup(u"\\Device\\Gadget0\\a\\\\b\\", 0, &found, &remaining), STATUS_SUCCESS);
  EXPECT_EQ(remaining, u"\\a\\\\b\\");
  EXPECT_EQ(g_parsed.calls, 0);  // a lookup only finds it
  objects.remove_name(gadget);
  objects.dereference(gadget);
}

TEST_F(ObjectNamespace, OpeningByNameCallsTheParseProcedureWithTheRestOfTheName) {
  void* gadget = new_gadget();
  ASSERT_EQ(objects.insert_name(u"\\Device\\Gadget1", gadget), STATUS_SUCCESS);
  void* target = new_plain_object();
  ASSERT_EQ(objects.insert_name(u"\\KernelObjects\\Target", target), STATUS_SUCCESS);
  ASSERT_EQ(objects.create_symbolic_link(u"\\??\\G1", u"\\Device\\Gadget1", OBJ_PERMANENT), STATUS_SUCCESS);

  ObjectName file(u"\\??\\G1\\dir\\file.txt");
  void* opened = nullptr;
  EXPECT_EQ(objects.reference_by_name(file.get(), nullptr, FILE_ALL_ACCESS, KernelMode, nullptr, &opened),
            STATUS_SUCCESS);
  EXPECT_EQ(opened, gadget);
  EXPECT_EQ(g_parsed.calls, 1);
  EXPECT_EQ(g_parsed.remaining, u"\\dir\\file.txt");
  EXPECT_EQ(g_parsed.complete_name, u"\\Device\\Gadget1\\dir\\file.txt");
  if (opened != nullptr) objects.dereference(opened);

  ObjectName missing(u"\\Device\\Gadget1\\missing");
  EXPECT_EQ(objects.reference_by_name(missing.get(), nullptr, 0, KernelMode, nullptr, &opened),
            STATUS_OBJECT_NAME_NOT_FOUND);
  EXPECT_EQ(opened, nullptr);

  ObjectName reparse(u"\\Device\\Gadget1\\elsewhere");  // the parse procedure sends the open elsewhere
  EXPECT_EQ(objects.reference_by_name(reparse.get(), nullptr, 0, KernelMode, nullptr, &opened), STATUS_SUCCESS);
  EXPECT_EQ(opened, target);
  if (opened != nullptr) objects.dereference(opened);

  objects.remove_name(gadget);
  objects.dereference(gadget);
  objects.remove_name(target);
  objects.dereference(target);
}

TEST_F(ObjectNamespace, ANameGivenByInsertNameGoesWhenItsObjectIsDeleted) {
  const std::int64_t directory_references = [&] {
    void* directory = nullptr;
    lookup(u"\\KernelObjects", 0, &directory);
    return pointer_count(directory);
  }();
  void* object = new_plain_object();
  ASSERT_EQ(objects.insert_name(u"\\KernelObjects\\Short", object), STATUS_SUCCESS);
  EXPECT_EQ(pointer_count(object), 1);  // the name holds no reference
  objects.dereference(object);
  EXPECT_EQ(lookup(u"\\KernelObjects\\Short", 0), STATUS_OBJECT_NAME_NOT_FOUND);
  void* directory = nullptr;
  lookup(u"\\KernelObjects", 0, &directory);
  EXPECT_EQ(pointer_count(directory), directory_references);  // the name's reference on it is gone
}

TEST_F(ObjectNamespace, APermanentNameHoldsAReferenceUntilTheObjectIsMadeTemporary) {
  void* object = new_plain_object();
  ASSERT_EQ(objects.insert_name(u"\\KernelObjects\\Lasting", object, OBJ_PERMANENT), STATUS_SUCCESS);
  EXPECT_EQ(pointer_count(object), 2);
  objects.reference(object);
  objects.make_temporary(object);  // no handles: the name goes now, with its reference
  EXPECT_EQ(lookup(u"\\KernelObjects\\Lasting", 0), STATUS_OBJECT_NAME_NOT_FOUND);
  EXPECT_EQ(pointer_count(object), 2);
  objects.dereference(object);
  objects.dereference(object);
}

}  // namespace
}  // namespace wdmlab::test
