/*
 * io_test.h - the io_test driver's control codes, shared with the tests.
 *
 * The driver creates \Device\IoTest (buffered I/O) and \DosDevices\IoTest, and answers:
 *   IRP_MJ_CREATE/CLEANUP/CLOSE  success, logged with the file name;
 *   IRP_MJ_READ                  fills the buffer with 'R', Information = Length;
 *   IRP_MJ_WRITE                 Information = Length;
 *   IOCTL_IOTEST_ECHO            METHOD_BUFFERED: copies the input to the output;
 *   IOCTL_IOTEST_PEND            marks the IRP pending and keeps it;
 *   IOCTL_IOTEST_RELEASE         completes the kept IRP with STATUS_SUCCESS and Information 7;
 *   IOCTL_IOTEST_WRITE_ONLY      FILE_WRITE_ACCESS, succeeds;
 *   IOCTL_IOTEST_PEND_CANCELABLE keeps the IRP as IOCTL_IOTEST_PEND does, with a cancel routine that
 *                                completes it with STATUS_CANCELLED ("io_test: cancel"); one such
 *                                IRP at a time (the device's second slot), the cancel spin lock
 *                                guarding it.
 */
#ifndef IO_TEST_H
#define IO_TEST_H

#define IOCTL_IOTEST_ECHO CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define IOCTL_IOTEST_PEND CTL_CODE(FILE_DEVICE_UNKNOWN, 0x801, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define IOCTL_IOTEST_RELEASE CTL_CODE(FILE_DEVICE_UNKNOWN, 0x802, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define IOCTL_IOTEST_WRITE_ONLY CTL_CODE(FILE_DEVICE_UNKNOWN, 0x803, METHOD_BUFFERED, FILE_WRITE_ACCESS)
#define IOCTL_IOTEST_PEND_CANCELABLE CTL_CODE(FILE_DEVICE_UNKNOWN, 0x804, METHOD_BUFFERED, FILE_ANY_ACCESS)

#endif
