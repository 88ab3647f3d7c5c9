/*
 * filter_sample_public.h - the one control code the filter_sample driver answers itself, and what
 * it returns. Shared by the driver and its clients.
 *
 * The filter sits on top of \Device\IoctlMethods, so an application reaches it by opening
 * "\\.\IoctlMethods" and sending IOCTL_FILTER_SAMPLE_GET_STATS (METHOD_BUFFERED, any access, no
 * input; the output must hold a FILTER_SAMPLE_STATS, else STATUS_BUFFER_TOO_SMALL). Bytes
 * returned: sizeof(FILTER_SAMPLE_STATS). Every other request goes down to ioctl_methods unchanged.
 */
#ifndef FILTER_SAMPLE_PUBLIC_H
#define FILTER_SAMPLE_PUBLIC_H

/* The device the filter attaches to in DriverEntry; its driver must be loaded first. */
#define FILTER_SAMPLE_TARGET_NAME L"\\Device\\IoctlMethods"

#define FILE_DEVICE_FILTER_SAMPLE 0x8001u

#define IOCTL_FILTER_SAMPLE_GET_STATS CTL_CODE(FILE_DEVICE_FILTER_SAMPLE, 0x900, METHOD_BUFFERED, FILE_ANY_ACCESS)

/* What the filter saw since it was loaded (the GET_STATS requests themselves are not counted). */
typedef struct _FILTER_SAMPLE_STATS {
  ULONG PassedDown;        /* requests other than device controls, passed down untouched */
  ULONG ControlsSent;      /* device controls sent down with the completion routine */
  ULONG ControlsCompleted; /* device controls the completion routine saw complete */
  ULONG PendingReturned;   /* of those, how many the lower driver had returned STATUS_PENDING for */
  ULONG LastIoControlCode; /* the last device control completed: its code, status and information */
  LONG LastStatus;
  ULONGLONG LastInformation;
} FILTER_SAMPLE_STATS, *PFILTER_SAMPLE_STATS;

#endif /* FILTER_SAMPLE_PUBLIC_H */
