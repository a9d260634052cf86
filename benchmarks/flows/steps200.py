"""Benchmark: a 200-step linear flow (graph analysis speed of `sfncompile check`)."""
from sfncompile import FlowSpec, step


class Steps200Flow(FlowSpec):
    @step
    def start(self):
        self.x0 = 0
        self.next(self.s001)

    @step
    def s001(self):
        self.x1 = 1
        self.next(self.s002)

    @step
    def s002(self):
        self.x2 = 2
        self.next(self.s003)

    @step
    def s003(self):
        self.x3 = 3
        self.next(self.s004)

    @step
    def s004(self):
        self.x4 = 4
        self.next(self.s005)

    @step
    def s005(self):
        self.x5 = 5
        self.next(self.s006)

    @step
    def s006(self):
        self.x6 = 6
        self.next(self.s007)

    @step
    def s007(self):
        self.x0 = 7
        self.next(self.s008)

    @step
    def s008(self):
        self.x1 = 8
        self.next(self.s009)

    @step
    def s009(self):
        self.x2 = 9
        self.next(self.s010)

    @step
    def s010(self):
        self.x3 = 10
        self.next(self.s011)

    @step
    def s011(self):
        self.x4 = 11
        self.next(self.s012)

    @step
    def s012(self):
        self.x5 = 12
        self.next(self.s013)

    @step
    def s013(self):
        self.x6 = 13
        self.next(self.s014)

    @step
    def s014(self):
        self.x0 = 14
        self.next(self.s015)

    @step
    def s015(self):
        self.x1 = 15
        self.next(self.s016)

    @step
    def s016(self):
        self.x2 = 16
        self.next(self.s017)

    @step
    def s017(self):
        self.x3 = 17
        self.next(self.s018)

    @step
    def s018(self):
        self.x4 = 18
        self.next(self.s019)

    @step
    def s019(self):
        self.x5 = 19
        self.next(self.s020)

    @step
    def s020(self):
        self.x6 = 20
        self.next(self.s021)

    @step
    def s021(self):
        self.x0 = 21
        self.next(self.s022)

    @step
    def s022(self):
        self.x1 = 22
        self.next(self.s023)

    @step
    def s023(self):
        self.x2 = 23
        self.next(self.s024)

    @step
    def s024(self):
        self.x3 = 24
        self.next(self.s025)

    @step
    def s025(self):
        self.x4 = 25
        self.next(self.s026)

    @step
    def s026(self):
        self.x5 = 26
        self.next(self.s027)

    @step
    def s027(self):
        self.x6 = 27
        self.next(self.s028)

    @step
    def s028(self):
        self.x0 = 28
        self.next(self.s029)

    @step
    def s029(self):
        self.x1 = 29
        self.next(self.s030)

    @step
    def s030(self):
        self.x2 = 30
        self.next(self.s031)

    @step
    def s031(self):
        self.x3 = 31
        self.next(self.s032)

    @step
    def s032(self):
        self.x4 = 32
        self.next(self.s033)

    @step
    def s033(self):
        self.x5 = 33
        self.next(self.s034)

    @step
    def s034(self):
        self.x6 = 34
        self.next(self.s035)

    @step
    def s035(self):
        self.x0 = 35
        self.next(self.s036)

    @step
    def s036(self):
        self.x1 = 36
        self.next(self.s037)

    @step
    def s037(self):
        self.x2 = 37
        self.next(self.s038)

    @step
    def s038(self):
        self.x3 = 38
        self.next(self.s039)

    @step
    def s039(self):
        self.x4 = 39
        self.next(self.s040)

    @step
    def s040(self):
        self.x5 = 40
        self.next(self.s041)

    @step
    def s041(self):
        self.x6 = 41
        self.next(self.s042)

    @step
    def s042(self):
        self.x0 = 42
        self.next(self.s043)

    @step
    def s043(self):
        self.x1 = 43
        self.next(self.s044)

    @step
    def s044(self):
        self.x2 = 44
        self.next(self.s045)

    @step
    def s045(self):
        self.x3 = 45
        self.next(self.s046)

    @step
    def s046(self):
        self.x4 = 46
        self.next(self.s047)

    @step
    def s047(self):
        self.x5 = 47
        self.next(self.s048)

    @step
    def s048(self):
        self.x6 = 48
        self.next(self.s049)

    @step
    def s049(self):
        self.x0 = 49
        self.next(self.s050)

    @step
    def s050(self):
        self.x1 = 50
        self.next(self.s051)

    @step
    def s051(self):
        self.x2 = 51
        self.next(self.s052)

    @step
    def s052(self):
        self.x3 = 52
        self.next(self.s053)

    @step
    def s053(self):
        self.x4 = 53
        self.next(self.s054)

    @step
    def s054(self):
        self.x5 = 54
        self.next(self.s055)

    @step
    def s055(self):
        self.x6 = 55
        self.next(self.s056)

    @step
    def s056(self):
        self.x0 = 56
        self.next(self.s057)

    @step
    def s057(self):
        self.x1 = 57
        self.next(self.s058)

    @step
    def s058(self):
        self.x2 = 58
        self.next(self.s059)

    @step
    def s059(self):
        self.x3 = 59
        self.next(self.s060)

    @step
    def s060(self):
        self.x4 = 60
        self.next(self.s061)

    @step
    def s061(self):
        self.x5 = 61
        self.next(self.s062)

    @step
    def s062(self):
        self.x6 = 62
        self.next(self.s063)

    @step
    def s063(self):
        self.x0 = 63
        self.next(self.s064)

    @step
    def s064(self):
        self.x1 = 64
        self.next(self.s065)

    @step
    def s065(self):
        self.x2 = 65
        self.next(self.s066)

    @step
    def s066(self):
        self.x3 = 66
        self.next(self.s067)

    @step
    def s067(self):
        self.x4 = 67
        self.next(self.s068)

    @step
    def s068(self):
        self.x5 = 68
        self.next(self.s069)

    @step
    def s069(self):
        self.x6 = 69
        self.next(self.s070)

    @step
    def s070(self):
        self.x0 = 70
        self.next(self.s071)

    @step
    def s071(self):
        self.x1 = 71
        self.next(self.s072)

    @step
    def s072(self):
        self.x2 = 72
        self.next(self.s073)

    @step
    def s073(self):
        self.x3 = 73
        self.next(self.s074)

    @step
    def s074(self):
        self.x4 = 74
        self.next(self.s075)

    @step
    def s075(self):
        self.x5 = 75
        self.next(self.s076)

    @step
    def s076(self):
        self.x6 = 76
        self.next(self.s077)

    @step
    def s077(self):
        self.x0 = 77
        self.next(self.s078)

    @step
    def s078(self):
        self.x1 = 78
        self.next(self.s079)

    @step
    def s079(self):
        self.x2 = 79
        self.next(self.s080)

    @step
    def s080(self):
        self.x3 = 80
        self.next(self.s081)

    @step
    def s081(self):
        self.x4 = 81
        self.next(self.s082)

    @step
    def s082(self):
        self.x5 = 82
        self.next(self.s083)

    @step
    def s083(self):
        self.x6 = 83
        self.next(self.s084)

    @step
    def s084(self):
        self.x0 = 84
        self.next(self.s085)

    @step
    def s085(self):
        self.x1 = 85
        self.next(self.s086)

    @step
    def s086(self):
        self.x2 = 86
        self.next(self.s087)

    @step
    def s087(self):
        self.x3 = 87
        self.next(self.s088)

    @step
    def s088(self):
        self.x4 = 88
        self.next(self.s089)

    @step
    def s089(self):
        self.x5 = 89
        self.next(self.s090)

    @step
    def s090(self):
        self.x6 = 90
        self.next(self.s091)

    @step
    def s091(self):
        self.x0 = 91
        self.next(self.s092)

    @step
    def s092(self):
        self.x1 = 92
        self.next(self.s093)

    @step
    def s093(self):
        self.x2 = 93
        self.next(self.s094)

    @step
    def s094(self):
        self.x3 = 94
        self.next(self.s095)

    @step
    def s095(self):
        self.x4 = 95
        self.next(self.s096)

    @step
    def s096(self):
        self.x5 = 96
        self.next(self.s097)

    @step
    def s097(self):
        self.x6 = 97
        self.next(self.s098)

    @step
    def s098(self):
        self.x0 = 98
        self.next(self.s099)

    @step
    def s099(self):
        self.x1 = 99
        self.next(self.s100)

    @step
    def s100(self):
        self.x2 = 100
        self.next(self.s101)

    @step
    def s101(self):
        self.x3 = 101
        self.next(self.s102)

    @step
    def s102(self):
        self.x4 = 102
        self.next(self.s103)

    @step
    def s103(self):
        self.x5 = 103
        self.next(self.s104)

    @step
    def s104(self):
        self.x6 = 104
        self.next(self.s105)

    @step
    def s105(self):
        self.x0 = 105
        self.next(self.s106)

    @step
    def s106(self):
        self.x1 = 106
        self.next(self.s107)

    @step
    def s107(self):
        self.x2 = 107
        self.next(self.s108)

    @step
    def s108(self):
        self.x3 = 108
        self.next(self.s109)

    @step
    def s109(self):
        self.x4 = 109
        self.next(self.s110)

    @step
    def s110(self):
        self.x5 = 110
        self.next(self.s111)

    @step
    def s111(self):
        self.x6 = 111
        self.next(self.s112)

    @step
    def s112(self):
        self.x0 = 112
        self.next(self.s113)

    @step
    def s113(self):
        self.x1 = 113
        self.next(self.s114)

    @step
    def s114(self):
        self.x2 = 114
        self.next(self.s115)

    @step
    def s115(self):
        self.x3 = 115
        self.next(self.s116)

    @step
    def s116(self):
        self.x4 = 116
        self.next(self.s117)

    @step
    def s117(self):
        self.x5 = 117
        self.next(self.s118)

    @step
    def s118(self):
        self.x6 = 118
        self.next(self.s119)

    @step
    def s119(self):
        self.x0 = 119
        self.next(self.s120)

    @step
    def s120(self):
        self.x1 = 120
        self.next(self.s121)

    @step
    def s121(self):
        self.x2 = 121
        self.next(self.s122)

    @step
    def s122(self):
        self.x3 = 122
        self.next(self.s123)

    @step
    def s123(self):
        self.x4 = 123
        self.next(self.s124)

    @step
    def s124(self):
        self.x5 = 124
        self.next(self.s125)

    @step
    def s125(self):
        self.x6 = 125
        self.next(self.s126)

    @step
    def s126(self):
        self.x0 = 126
        self.next(self.s127)

    @step
    def s127(self):
        self.x1 = 127
        self.next(self.s128)

    @step
    def s128(self):
        self.x2 = 128
        self.next(self.s129)

    @step
    def s129(self):
        self.x3 = 129
        self.next(self.s130)

    @step
    def s130(self):
        self.x4 = 130
        self.next(self.s131)

    @step
    def s131(self):
        self.x5 = 131
        self.next(self.s132)

    @step
    def s132(self):
        self.x6 = 132
        self.next(self.s133)

    @step
    def s133(self):
        self.x0 = 133
        self.next(self.s134)

    @step
    def s134(self):
        self.x1 = 134
        self.next(self.s135)

    @step
    def s135(self):
        self.x2 = 135
        self.next(self.s136)

    @step
    def s136(self):
        self.x3 = 136
        self.next(self.s137)

    @step
    def s137(self):
        self.x4 = 137
        self.next(self.s138)

    @step
    def s138(self):
        self.x5 = 138
        self.next(self.s139)

    @step
    def s139(self):
        self.x6 = 139
        self.next(self.s140)

    @step
    def s140(self):
        self.x0 = 140
        self.next(self.s141)

    @step
    def s141(self):
        self.x1 = 141
        self.next(self.s142)

    @step
    def s142(self):
        self.x2 = 142
        self.next(self.s143)

    @step
    def s143(self):
        self.x3 = 143
        self.next(self.s144)

    @step
    def s144(self):
        self.x4 = 144
        self.next(self.s145)

    @step
    def s145(self):
        self.x5 = 145
        self.next(self.s146)

    @step
    def s146(self):
        self.x6 = 146
        self.next(self.s147)

    @step
    def s147(self):
        self.x0 = 147
        self.next(self.s148)

    @step
    def s148(self):
        self.x1 = 148
        self.next(self.s149)

    @step
    def s149(self):
        self.x2 = 149
        self.next(self.s150)

    @step
    def s150(self):
        self.x3 = 150
        self.next(self.s151)

    @step
    def s151(self):
        self.x4 = 151
        self.next(self.s152)

    @step
    def s152(self):
        self.x5 = 152
        self.next(self.s153)

    @step
    def s153(self):
        self.x6 = 153
        self.next(self.s154)

    @step
    def s154(self):
        self.x0 = 154
        self.next(self.s155)

    @step
    def s155(self):
        self.x1 = 155
        self.next(self.s156)

    @step
    def s156(self):
        self.x2 = 156
        self.next(self.s157)

    @step
    def s157(self):
        self.x3 = 157
        self.next(self.s158)

    @step
    def s158(self):
        self.x4 = 158
        self.next(self.s159)

    @step
    def s159(self):
        self.x5 = 159
        self.next(self.s160)

    @step
    def s160(self):
        self.x6 = 160
        self.next(self.s161)

    @step
    def s161(self):
        self.x0 = 161
        self.next(self.s162)

    @step
    def s162(self):
        self.x1 = 162
        self.next(self.s163)

    @step
    def s163(self):
        self.x2 = 163
        self.next(self.s164)

    @step
    def s164(self):
        self.x3 = 164
        self.next(self.s165)

    @step
    def s165(self):
        self.x4 = 165
        self.next(self.s166)

    @step
    def s166(self):
        self.x5 = 166
        self.next(self.s167)

    @step
    def s167(self):
        self.x6 = 167
        self.next(self.s168)

    @step
    def s168(self):
        self.x0 = 168
        self.next(self.s169)

    @step
    def s169(self):
        self.x1 = 169
        self.next(self.s170)

    @step
    def s170(self):
        self.x2 = 170
        self.next(self.s171)

    @step
    def s171(self):
        self.x3 = 171
        self.next(self.s172)

    @step
    def s172(self):
        self.x4 = 172
        self.next(self.s173)

    @step
    def s173(self):
        self.x5 = 173
        self.next(self.s174)

    @step
    def s174(self):
        self.x6 = 174
        self.next(self.s175)

    @step
    def s175(self):
        self.x0 = 175
        self.next(self.s176)

    @step
    def s176(self):
        self.x1 = 176
        self.next(self.s177)

    @step
    def s177(self):
        self.x2 = 177
        self.next(self.s178)

    @step
    def s178(self):
        self.x3 = 178
        self.next(self.s179)

    @step
    def s179(self):
        self.x4 = 179
        self.next(self.s180)

    @step
    def s180(self):
        self.x5 = 180
        self.next(self.s181)

    @step
    def s181(self):
        self.x6 = 181
        self.next(self.s182)

    @step
    def s182(self):
        self.x0 = 182
        self.next(self.s183)

    @step
    def s183(self):
        self.x1 = 183
        self.next(self.s184)

    @step
    def s184(self):
        self.x2 = 184
        self.next(self.s185)

    @step
    def s185(self):
        self.x3 = 185
        self.next(self.s186)

    @step
    def s186(self):
        self.x4 = 186
        self.next(self.s187)

    @step
    def s187(self):
        self.x5 = 187
        self.next(self.s188)

    @step
    def s188(self):
        self.x6 = 188
        self.next(self.s189)

    @step
    def s189(self):
        self.x0 = 189
        self.next(self.s190)

    @step
    def s190(self):
        self.x1 = 190
        self.next(self.s191)

    @step
    def s191(self):
        self.x2 = 191
        self.next(self.s192)

    @step
    def s192(self):
        self.x3 = 192
        self.next(self.s193)

    @step
    def s193(self):
        self.x4 = 193
        self.next(self.s194)

    @step
    def s194(self):
        self.x5 = 194
        self.next(self.s195)

    @step
    def s195(self):
        self.x6 = 195
        self.next(self.s196)

    @step
    def s196(self):
        self.x0 = 196
        self.next(self.s197)

    @step
    def s197(self):
        self.x1 = 197
        self.next(self.s198)

    @step
    def s198(self):
        self.x2 = 198
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    Steps200Flow()
