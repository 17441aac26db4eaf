; Per-user Windows installer for the PyInstaller one-folder bundle (built on Windows by installer/build.sh bundle).
; makensis -DVERSION=0.1.0 -DBUNDLE_DIR=build\dist\fashion-desktop -DOUTFILE=FashionDesktop-setup.exe fashion-desktop.nsi
Unicode true
!ifndef VERSION
  !define VERSION "0.0.0"
!endif
!ifndef OUTFILE
  !define OUTFILE "FashionDesktop-${VERSION}-setup.exe"
!endif
!define APP "Fashion Desktop"
!define UNINSTALL_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\FashionDesktop"

Name "${APP} ${VERSION}"
OutFile "${OUTFILE}"
RequestExecutionLevel user ; per-user: no administrator rights needed
InstallDir "$LOCALAPPDATA\Programs\Fashion Desktop"
InstallDirRegKey HKCU "Software\FashionDesktop" "InstallDir"
SetCompressor /SOLID lzma

Page directory
Page instfiles
UninstPage uninstConfirm
UninstPage instfiles

Section "Fashion Desktop"
  SetOutPath "$INSTDIR"
  File /r "${BUNDLE_DIR}\*"
  WriteUninstaller "$INSTDIR\Uninstall.exe"
  WriteRegStr HKCU "Software\FashionDesktop" "InstallDir" "$INSTDIR"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayName" "${APP}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "Publisher" "Fashion Desktop"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "UninstallString" '"$INSTDIR\Uninstall.exe"'
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "NoModify" 1
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "NoRepair" 1
  CreateDirectory "$SMPROGRAMS\${APP}"
  CreateShortcut "$SMPROGRAMS\${APP}\${APP}.lnk" "$INSTDIR\fashion-desktop.exe"
  CreateShortcut "$SMPROGRAMS\${APP}\Uninstall ${APP}.lnk" "$INSTDIR\Uninstall.exe"
  CreateShortcut "$DESKTOP\${APP}.lnk" "$INSTDIR\fashion-desktop.exe"
SectionEnd

Section "Uninstall"
  Delete "$DESKTOP\${APP}.lnk"
  RMDir /r "$SMPROGRAMS\${APP}"
  RMDir /r "$INSTDIR"
  DeleteRegKey HKCU "${UNINSTALL_KEY}"
  DeleteRegKey HKCU "Software\FashionDesktop"
  ; The user's catalogs, caches and settings (%LOCALAPPDATA%\fashion-desktop) are kept: they are her work.
SectionEnd
