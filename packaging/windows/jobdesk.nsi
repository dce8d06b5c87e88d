; jobdesk's Windows installer, fed by the PyInstaller bundle (dist\jobdesk).
;
;   makensis /DVERSION=0.1.0 /DDIST=dist\jobdesk /DICON=build\jobdesk\jobdesk.ico ^
;            /DOUTFILE=dist\jobdesk-0.1.0-setup.exe packaging\windows\jobdesk.nsi
;
; Installs for all users into Program Files, adds a Start menu shortcut (to jobdeskw.exe,
; the same program without a console window) and an uninstaller listed in Apps & features.
; The GitHub workflow builds it; here `makensis -WX` lints it against a stub folder
; (tests/packaging/test_deb.py).

Unicode true
ManifestDPIAware true
SetCompressor /SOLID lzma
RequestExecutionLevel admin

!ifndef VERSION
  !error "pass /DVERSION=x.y.z"
!endif
!ifndef DIST
  !define DIST "..\..\dist\jobdesk"
!endif
!ifndef OUTFILE
  !define OUTFILE "jobdesk-${VERSION}-setup.exe"
!endif

!define APP_ID "dev.jobdesk.Jobdesk"
!define UNINSTALL_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\${APP_ID}"

Name "jobdesk ${VERSION}"
OutFile "${OUTFILE}"
InstallDir "$PROGRAMFILES64\jobdesk"
InstallDirRegKey HKLM "${UNINSTALL_KEY}" "InstallLocation"

!include "MUI2.nsh"
!include "x64.nsh"

!ifdef ICON
  !define MUI_ICON "${ICON}"
  !define MUI_UNICON "${ICON}"
!endif
!define MUI_FINISHPAGE_RUN "$INSTDIR\jobdeskw.exe"
!define MUI_FINISHPAGE_RUN_TEXT "Start jobdesk"

!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH
!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_INSTFILES
!insertmacro MUI_LANGUAGE "English"

Function .onInit
  ${IfNot} ${RunningX64}
    MessageBox MB_ICONSTOP "jobdesk needs 64-bit Windows."
    Abort
  ${EndIf}
  SetRegView 64
FunctionEnd

Function un.onInit
  SetRegView 64
FunctionEnd

Section "jobdesk" SecMain
  SectionIn RO
  SetOutPath "$INSTDIR"
  ; an upgrade replaces the bundle whole, so no file of an older version lingers
  RMDir /r "$INSTDIR\_internal"
  File /r "${DIST}\*.*"
  WriteUninstaller "$INSTDIR\uninstall.exe"

  SetShellVarContext all
  CreateShortcut "$SMPROGRAMS\jobdesk.lnk" "$INSTDIR\jobdeskw.exe" "" "$INSTDIR\jobdeskw.exe" 0 "" "" "A live view of long-running jobs"

  WriteRegStr HKLM "${UNINSTALL_KEY}" "DisplayName" "jobdesk"
  WriteRegStr HKLM "${UNINSTALL_KEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKLM "${UNINSTALL_KEY}" "Publisher" "jobdesk developers"
  WriteRegStr HKLM "${UNINSTALL_KEY}" "DisplayIcon" "$INSTDIR\jobdeskw.exe"
  WriteRegStr HKLM "${UNINSTALL_KEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKLM "${UNINSTALL_KEY}" "UninstallString" '"$INSTDIR\uninstall.exe"'
  WriteRegStr HKLM "${UNINSTALL_KEY}" "QuietUninstallString" '"$INSTDIR\uninstall.exe" /S'
  WriteRegDWORD HKLM "${UNINSTALL_KEY}" "NoModify" 1
  WriteRegDWORD HKLM "${UNINSTALL_KEY}" "NoRepair" 1
SectionEnd

Section "Uninstall"
  SetShellVarContext all
  Delete "$SMPROGRAMS\jobdesk.lnk"
  ; only what the installer put there: never a recursive delete of $INSTDIR itself
  RMDir /r "$INSTDIR\_internal"
  Delete "$INSTDIR\jobdesk.exe"
  Delete "$INSTDIR\jobdeskw.exe"
  Delete "$INSTDIR\uninstall.exe"
  RMDir "$INSTDIR"
  DeleteRegKey HKLM "${UNINSTALL_KEY}"
SectionEnd
