; Per-user Windows installer for the PyInstaller one-folder bundle (built on Windows by installer/build.sh bundle).
;   python installer/windows/nsis_payload.py BUNDLE payload.nsh install-manifest.txt
;   makensis -DVERSION=0.1.0 -DPAYLOAD=payload.nsh -DMANIFEST=install-manifest.txt -DOUTFILE=setup.exe fashion-desktop.nsi
; (installer/build.sh nsis does both.) The uninstaller removes only what the installer wrote: the files listed in the
; generated payload.nsh, the folders it made when empty, its shortcuts and its registry entries. A user's own files,
; in the install folder or the Start-menu folder, are left where they are.
Unicode true
Target amd64-unicode ; the bundle is 64-bit
!include "LogicLib.nsh"
!ifndef VERSION
  !define VERSION "0.0.0"
!endif
!ifndef OUTFILE
  !define OUTFILE "FashionDesktop-${VERSION}-setup.exe"
!endif
!include "${PAYLOAD}"
!define APP "Fashion Desktop"
!define EXE "fashion-desktop.exe"
!define MARKER "install-manifest.txt"
!define UNINSTALL_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\FashionDesktop"
!define APP_KEY "Software\Classes\Applications\${EXE}"
!define PROGID "FashionDesktop.Image"
!define NOTICES "_internal\fashion_desktop\NOTICES.txt"

Name "${APP} ${VERSION}"
OutFile "${OUTFILE}"
RequestExecutionLevel user ; per-user: no administrator rights needed
InstallDir "$LOCALAPPDATA\Programs\${APP}"
InstallDirRegKey HKCU "Software\FashionDesktop" "InstallDir"
SetCompressor /SOLID lzma

Page directory "" "" CheckInstallDir
Page instfiles
UninstPage uninstConfirm
UninstPage instfiles

; $0 = 1 when $INSTDIR is missing or empty, else 0.
Function IsInstallDirEmpty
  StrCpy $0 1
  FindFirst $1 $2 "$INSTDIR\*"
  ${DoWhile} $2 != ""
    ${If} $2 != "."
    ${AndIf} $2 != ".."
      StrCpy $0 0
      ${Break}
    ${EndIf}
    FindNext $1 $2
  ${Loop}
  FindClose $1
FunctionEnd

; Never install into a folder that holds other files, unless it is an earlier installation of ours: nest into a
; "Fashion Desktop" subfolder instead, and refuse when that one is taken too.
Function CheckInstallDir
  ${If} ${FileExists} "$INSTDIR\${MARKER}"
    Return
  ${EndIf}
  Call IsInstallDirEmpty
  ${If} $0 == 1
    Return
  ${EndIf}
  StrCpy $INSTDIR "$INSTDIR\${APP}"
  ${If} ${FileExists} "$INSTDIR\${MARKER}"
    Return
  ${EndIf}
  Call IsInstallDirEmpty
  ${If} $0 == 0
    MessageBox MB_ICONSTOP "$INSTDIR already holds other files. Choose an empty folder." /SD IDOK
    Abort
  ${EndIf}
FunctionEnd

!macro REGISTER_TYPE SUFFIX
  WriteRegStr HKCU "${APP_KEY}\SupportedTypes" "${SUFFIX}" ""
  WriteRegNone HKCU "Software\Classes\${SUFFIX}\OpenWithProgids" "${PROGID}"
!macroend

!macro UNREGISTER_TYPE SUFFIX
  DeleteRegValue HKCU "Software\Classes\${SUFFIX}\OpenWithProgids" "${PROGID}"
  DeleteRegKey /ifempty HKCU "Software\Classes\${SUFFIX}\OpenWithProgids"
  DeleteRegKey /ifempty HKCU "Software\Classes\${SUFFIX}"
!macroend

Section "Fashion Desktop"
  Call CheckInstallDir ; again for silent installs (/S /D=...), which skip the directory page
  ${If} ${FileExists} "$INSTDIR\${MARKER}"
  ${AndIf} ${FileExists} "$INSTDIR\Uninstall.exe"
    ; An earlier version: its own uninstaller removes its files (the list may differ from this version's).
    ExecWait '"$INSTDIR\Uninstall.exe" /S _?=$INSTDIR'
  ${EndIf}
  SetOutPath "$INSTDIR"
  !insertmacro INSTALL_PAYLOAD
  File "/oname=${MARKER}" "${MANIFEST}"
  WriteUninstaller "$INSTDIR\Uninstall.exe"

  WriteRegStr HKCU "Software\FashionDesktop" "InstallDir" "$INSTDIR"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayName" "${APP}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "Publisher" "Fashion Desktop"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayIcon" "$INSTDIR\${EXE},0"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "UninstallString" '"$INSTDIR\Uninstall.exe"'
  WriteRegStr HKCU "${UNINSTALL_KEY}" "QuietUninstallString" '"$INSTDIR\Uninstall.exe" /S'
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "EstimatedSize" ${PAYLOAD_SIZE_KB}
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "NoModify" 1
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "NoRepair" 1

  ; "Open with Fashion Desktop" for the image types the app reads (per user, HKCU\Software\Classes).
  WriteRegStr HKCU "${APP_KEY}" "FriendlyAppName" "${APP}"
  WriteRegStr HKCU "${APP_KEY}\DefaultIcon" "" "$INSTDIR\${EXE},0"
  WriteRegStr HKCU "${APP_KEY}\shell\open\command" "" '"$INSTDIR\${EXE}" "%1"'
  WriteRegStr HKCU "Software\Classes\${PROGID}" "" "Image (${APP})"
  WriteRegStr HKCU "Software\Classes\${PROGID}\DefaultIcon" "" "$INSTDIR\${EXE},0"
  WriteRegStr HKCU "Software\Classes\${PROGID}\shell\open\command" "" '"$INSTDIR\${EXE}" "%1"'
  !insertmacro FOR_EACH_IMAGE_SUFFIX REGISTER_TYPE
  System::Call 'shell32::SHChangeNotify(i 0x08000000, i 0, p 0, p 0)' ; SHCNE_ASSOCCHANGED

  CreateDirectory "$SMPROGRAMS\${APP}"
  CreateShortcut "$SMPROGRAMS\${APP}\${APP}.lnk" "$INSTDIR\${EXE}"
  CreateShortcut "$SMPROGRAMS\${APP}\Open-source licences.lnk" "$INSTDIR\${NOTICES}"
  CreateShortcut "$SMPROGRAMS\${APP}\Uninstall ${APP}.lnk" "$INSTDIR\Uninstall.exe"
  CreateShortcut "$DESKTOP\${APP}.lnk" "$INSTDIR\${EXE}"
SectionEnd

Section "Uninstall"
  ; Only what the installer wrote; folders only once empty. The user's catalogs, caches and settings
  ; (%LOCALAPPDATA%\fashion-desktop) are hers and are kept.
  !insertmacro UNINSTALL_PAYLOAD
  Delete "$INSTDIR\${MARKER}"
  Delete "$INSTDIR\Uninstall.exe"
  RMDir "$INSTDIR"

  Delete "$DESKTOP\${APP}.lnk"
  Delete "$SMPROGRAMS\${APP}\${APP}.lnk"
  Delete "$SMPROGRAMS\${APP}\Open-source licences.lnk"
  Delete "$SMPROGRAMS\${APP}\Uninstall ${APP}.lnk"
  RMDir "$SMPROGRAMS\${APP}"

  !insertmacro FOR_EACH_IMAGE_SUFFIX UNREGISTER_TYPE
  DeleteRegKey HKCU "${APP_KEY}"
  DeleteRegKey HKCU "Software\Classes\${PROGID}"
  System::Call 'shell32::SHChangeNotify(i 0x08000000, i 0, p 0, p 0)'
  DeleteRegKey HKCU "${UNINSTALL_KEY}"
  DeleteRegKey HKCU "Software\FashionDesktop"
SectionEnd
